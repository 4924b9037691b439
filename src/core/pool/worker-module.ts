/**
 * Finding code for workers: the entry file, the flags a forked process inherits, what a worker
 * thread must import first to read TypeScript, and the export that holds the user's class.
 * @module
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { OptionsError } from "../errors.js";
import { isPoolWorker } from "./worker-runtime.js";

/** The worker entry next to this file: `.ts` when run from source through a loader, else `.js`. */
export function entryUrl(): URL {
  const here = new URL(import.meta.url);
  return new URL(`./worker-entry${/\.[cm]?ts$/.test(here.pathname) ? ".ts" : ".js"}`, here);
}

const DROPPED_FLAG =
  /^--(eval|print|test(-[\w-]+)?|watch(-[\w-]+)?|inspect(-brk|-port|-wait)?|check|interactive)(=|$)|^-[epci]$/;
const FLAGS_WITH_VALUE = new Set([
  "--eval",
  "-e",
  "--print",
  "-p",
  "--inspect-port",
  "--test-reporter",
  "--test-reporter-destination",
  "--test-name-pattern",
  "--test-skip-pattern",
  "--test-concurrency",
  "--test-timeout",
  "--test-shard",
  "--test-isolation",
  "--test-global-setup",
  "--test-coverage-include",
  "--test-coverage-exclude",
  "--test-coverage-branches",
  "--test-coverage-functions",
  "--test-coverage-lines",
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
    if (!DROPPED_FLAG.test(arg)) out.push(arg);
    else if (FLAGS_WITH_VALUE.has(arg)) i++;
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
    const dist = /^(.*[\\/]tsx[\\/]dist[\\/])[^\\/]+$/.exec(arg)?.[1];
    if (dist !== undefined) {
      const base = dist.startsWith("file:") ? dist : pathToFileURL(dist).href;
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
    const register = api.register ?? api.default?.register;
    if (typeof register === "function") register();
  }
  for (const url of boot.preload) await import(url);
  await import(boot.entry);
})().catch((error) => setImmediate(() => { throw error; }));
`;

/** How a worker finds the user's class (see `loadWorkerClass`). */
export interface WorkerExport {
  /** `workerExport`, or else the class's own name. */
  readonly exportName: string;
  /** The name the class must have: the parent's stand-in for identity. */
  readonly className: string;
  /** True when `exportName` came from `workerExport`. */
  readonly explicit: boolean;
}

/**
 * The checks a pool trainer makes before it starts its workers, then how they find its class.
 * The parent does not import `workerModule`: in a one-file script that module is the one being
 * evaluated, and importing it would wait for its own top-level `await` forever.
 * @param trainerName - The base class's name, for the error (`ProcessPoolClientTrainer`, ...).
 * @param baseWorker - The base class's own static `worker`, which `cls` must override.
 * @throws {@link OptionsError} in a pool worker (a static `worker` that starts a pool), and where
 * `cls` does not override `worker`.
 */
export function resolveWorkerExport(
  trainerName: string,
  cls: { readonly name: string; readonly worker: unknown },
  baseWorker: unknown,
  explicit: string | undefined,
): WorkerExport {
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
