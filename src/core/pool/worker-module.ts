/**
 * Finding code for workers: the entry files (`.ts` when this library runs from source through a
 * loader, `.js` when it runs compiled), the export name of the user's class, the flags a forked
 * process inherits, and what a worker thread must import first to read TypeScript.
 * @module
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { OptionsError } from "../errors.js";
import { isLoadingWorkerModule, isPoolWorker, parkMainCode } from "./worker-runtime.js";

/** The URL of the worker entry next to this file, with this file's extension (.ts or .js). */
export function entryUrl(): URL {
  const here = new URL(import.meta.url);
  return new URL(`./worker-entry${/\.[cm]?ts$/.test(here.pathname) ? ".ts" : ".js"}`, here);
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
  if (!execArgv.some((arg) => /(^|[\\/])tsx([\\/]|$)|^tsx(\/esm)?$/.test(arg))) return undefined;
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
 * How a worker finds the user's class: the export to take (`workerExport`, or the class's own
 * name), the class name it must have, and whether the export name was given (no search then).
 */
export interface WorkerExport {
  readonly exportName: string;
  readonly className: string;
  readonly explicit: boolean;
}

/**
 * The checks a pool trainer makes before it starts its workers, then how its workers find its
 * class. The parent does not import `workerModule`: in a one-file script that module is the one
 * being evaluated, and importing it would wait for its own top-level `await` forever. The worker
 * checks the export against the class name instead (see `loadWorkerClass`).
 *
 * Inside a pool worker that is still importing the user's module, the call comes from that
 * module's unguarded main code: it is held for good (see `parkMainCode`). Any later pool call
 * in a worker (a static `worker` that starts a pool) is refused.
 * @param trainerName - The base class's name, for the error (`ProcessPoolClientTrainer`, ...).
 * @param cls - The user's trainer class.
 * @param baseWorker - The base class's own static `worker`, which must be overridden.
 */
export function resolveWorkerExport(
  trainerName: string,
  cls: { readonly name: string; readonly worker: unknown },
  baseWorker: unknown,
  explicit: string | undefined,
): WorkerExport | Promise<never> {
  if (isLoadingWorkerModule()) return parkMainCode(cls);
  if (isPoolWorker())
    throw new OptionsError(
      trainerName,
      "started inside a pool worker",
      "a trainer started in the main program, not in a pool worker's static worker()",
    );
  if (cls.worker === baseWorker)
    throw new OptionsError("worker", cls.name, "a class that overrides static worker()");
  return {
    exportName: explicit ?? cls.name,
    className: cls.name,
    explicit: explicit !== undefined,
  };
}
