/**
 * What a pool worker knows about itself and the user's module: that it is a worker, which
 * trainer classes the module's main code created, and how to load the user's class.
 * @module
 */
import { OptionsError } from "../errors.js";

/** A class whose static `worker` runs clients. */
export interface WorkerClass {
  readonly name: string;
  worker(...args: unknown[]): unknown;
}

const POOL_WORKER_FLAG = Symbol.for("blazefl.poolWorker");
const LOADING_STATE = Symbol.for("blazefl.poolWorker.loading");

/**
 * Set while a worker imports the user's module. Kept on `globalThis` so that a second copy of
 * this module (src and dist) shares it.
 */
interface LoadingState {
  /** The trainer classes the module's main code constructed, by name. */
  readonly constructed: Map<string, WorkerClass>;
  /** Called by that main code's first pool call. */
  parked: ((cls: WorkerClass) => void) | undefined;
}

const globals = globalThis as Record<symbol, unknown>;
const loadingState = () => globals[LOADING_STATE] as LoadingState | undefined;

/** Called by the worker entry before user code loads. */
export function markPoolWorker(): void {
  globals[POOL_WORKER_FLAG] = true;
}

/**
 * True inside a pool worker (process or thread). Every worker imports the user's module, so a
 * module that also runs training guards that code with `if (!isPoolWorker()) main();`.
 */
export function isPoolWorker(): boolean {
  return globals[POOL_WORKER_FLAG] === true;
}

/** Called by every trainer's constructor: a worker still loading its module records the class. */
export function noteTrainerClass(cls: unknown): void {
  loadingState()?.constructed.set((cls as WorkerClass).name, cls as WorkerClass);
}

/** True while this worker imports the user's module: a pool call now comes from its main code. */
export function isLoadingWorkerModule(): boolean {
  return isPoolWorker() && loadingState() !== undefined;
}

/**
 * Holds a one-file script's unguarded main code inside a worker: its first pool call never
 * settles, so the rest of that code never runs there. The module's import cannot finish while
 * its main code waits, so the worker takes its class from the classes constructed so far.
 */
export function parkMainCode(cls: unknown): Promise<never> {
  loadingState()?.parked?.(cls as WorkerClass);
  return new Promise<never>(() => {});
}

function isWorkerClass(value: unknown, className: string): value is WorkerClass {
  const cls = value as WorkerClass;
  return typeof value === "function" && typeof cls.worker === "function" && cls.name === className;
}

/**
 * Imports `moduleUrl` and returns the class the parent asked for: export `exportName` (or, with
 * `explicit` false, any export) that is a class named `className` with a static `worker`. The
 * parent cannot import the module it may be evaluating, so the name stands for identity.
 * Unguarded main code hands over the class instead (see {@link parkMainCode}). Failures are
 * {@link OptionsError}s naming the option to fix.
 */
export async function loadWorkerClass(
  moduleUrl: string,
  exportName: string,
  className: string,
  explicit: boolean,
): Promise<WorkerClass> {
  const state: LoadingState = { constructed: new Map(), parked: undefined };
  globals[LOADING_STATE] = state;
  try {
    const parked = new Promise<WorkerClass>((resolve, reject) => {
      state.parked = (cls) => {
        const found = cls.name === className ? cls : state.constructed.get(className);
        if (found !== undefined) resolve(found);
        else
          reject(
            new OptionsError(
              "workerModule",
              moduleUrl,
              `a module whose main code creates ${className} before its first pool call, or guards that code with \`if (!isPoolWorker())\` (its main code started a ${cls.name} in a worker first)`,
            ),
          );
      };
    });
    const imported = import(moduleUrl).then((module: Record<string, unknown>) => {
      const exported = module[exportName];
      if (isWorkerClass(exported, className)) return exported;
      if (explicit)
        throw new OptionsError(
          "workerExport",
          exportName,
          `the name under which ${moduleUrl} exports the trainer class ${className} (a class with a static worker())`,
        );
      const renamed = Object.values(module).find((value) => isWorkerClass(value, className));
      if (renamed !== undefined) return renamed;
      throw new OptionsError(
        "workerModule",
        moduleUrl,
        `a module that exports the trainer class ${className} (pass import.meta.url from the module that defines and exports it, or set workerExport)`,
      );
    });
    return await Promise.race([imported, parked]);
  } finally {
    globals[LOADING_STATE] = undefined;
  }
}
