/**
 * Finding code for workers: the entry files (`.ts` when this library runs from source through a
 * loader, `.js` when it runs compiled), the export name of the user's class, the flags a forked
 * process inherits, and what a worker thread must import first to read TypeScript.
 *
 * @module
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { OptionsError } from "../errors.js";
import { isPoolWorker } from "./worker-runtime.js";

/** The URL of a worker entry next to this file, with this file's extension (.ts or .js). */
export function entryUrl(name: "process-worker-entry" | "thread-worker-entry"): URL {
  const here = new URL(import.meta.url);
  const ext = /\.[cm]?ts$/.test(here.pathname) ? ".ts" : ".js";
  return new URL(`./${name}${ext}`, here);
}

/**
 * The name under which `moduleUrl` exports `cls`. With `explicit`, that export must be a class
 * with a static `worker`; without, the module's exports are searched for `cls` itself.
 */
export async function findExportName(
  moduleUrl: string,
  cls: { readonly name: string },
  explicit: string | undefined,
): Promise<string> {
  let module: Record<string, unknown>;
  try {
    module = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new OptionsError(
      "workerModule",
      moduleUrl,
      "an importable module URL (pass import.meta.url)",
      {
        cause: error,
      },
    );
  }
  if (explicit !== undefined) {
    const exported = module[explicit];
    if (
      typeof exported !== "function" ||
      typeof (exported as { worker?: unknown }).worker !== "function"
    )
      throw new OptionsError(
        "workerExport",
        explicit,
        `the name of a class exported by ${moduleUrl} with a static worker()`,
      );
    return explicit;
  }
  for (const [name, value] of Object.entries(module)) if (value === cls) return name;
  throw new OptionsError(
    "workerModule",
    moduleUrl,
    `a module that exports the trainer class ${cls.name} (pass import.meta.url from the module that defines and exports it, or set workerExport)`,
  );
}

const DROPPED_FLAG =
  /^--(eval|print|test|test-[\w-]+|watch|watch-[\w-]+|inspect|inspect-brk|inspect-port|inspect-wait|check|interactive)(=|$)|^-(e|p|c|i)$/;
const FLAGS_WITH_VALUE = new Set([
  "--eval",
  "-e",
  "--print",
  "-p",
  "--inspect-port",
  "--test-reporter",
  "--test-reporter-destination",
  "--test-name-pattern",
  "--test-concurrency",
  "--watch-path",
]);

/**
 * The parent's `process.execArgv` minus the flags that must not reach a worker process
 * (`--eval`, `--test`, `--watch`, `--inspect` and friends): loaders such as `--import tsx` stay.
 */
export function inheritedExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (DROPPED_FLAG.test(arg)) {
      if (FLAGS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/**
 * Under Node 20, loader hooks registered by `--import tsx` are not active in worker threads, so
 * a thread cannot import TypeScript by itself. When the parent runs under tsx, this returns the
 * URL of tsx's API module, whose `register()` the thread calls before importing anything else.
 */
export function tsxApiUrl(execArgv: readonly string[] = process.execArgv): string | undefined {
  const usesTsx = execArgv.some((arg) => /(^|[\\/])tsx([\\/]|$)|^tsx(\/esm)?$/.test(arg));
  if (!usesTsx) return undefined;
  for (const arg of execArgv) {
    const match = /^(.*[\\/]tsx[\\/]dist[\\/])[^\\/]+$/.exec(arg);
    if (match?.[1] !== undefined) {
      const base = match[1].startsWith("file:") ? match[1] : pathToFileURL(match[1]).href;
      return new URL("esm/api/index.mjs", base.endsWith("/") ? base : `${base}/`).href;
    }
  }
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    try {
      return pathToFileURL(
        createRequire(join(process.cwd(), "package.json")).resolve("tsx/esm/api"),
      ).href;
    } catch {
      return undefined;
    }
  }
}

/**
 * The source of a worker thread's bootstrap (run with `eval: true`, so it is plain JavaScript):
 * it registers the TypeScript loader when asked, imports the preload modules, then the entry.
 */
export const THREAD_BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
(async () => {
  const boot = workerData.bootstrap;
  if (boot.tsxApi !== undefined) {
    const api = await import(boot.tsxApi);
    const register = api.register ?? (api.default && api.default.register);
    if (typeof register === "function") register();
  }
  for (const url of boot.preload) await import(url);
  await import(boot.entry);
})().catch((error) => setImmediate(() => { throw error; }));
`;

/**
 * The checks a pool trainer makes before it starts its workers, then the export name of its class:
 * it is not started inside a pool worker (a module that trains when imported), and its class
 * overrides the base class's static `worker`.
 * @param trainerName - The base class's name, for the error (`ProcessPoolClientTrainer`, ...).
 * @param cls - The user's trainer class.
 * @param baseWorker - The base class's own static `worker`, which must be overridden.
 */
export async function resolveWorkerExport(
  trainerName: string,
  cls: { readonly name: string; readonly worker: unknown },
  baseWorker: unknown,
  moduleUrl: string,
  explicit: string | undefined,
): Promise<string> {
  if (isPoolWorker())
    throw new OptionsError(
      trainerName,
      "started inside a pool worker",
      "a trainer started in the main program (the module exporting the trainer must not train when imported; guard with isPoolWorker())",
    );
  if (cls.worker === baseWorker)
    throw new OptionsError("worker", cls.name, "a class that overrides static worker()");
  return findExportName(moduleUrl, cls, explicit);
}
