/**
 * What a pool worker knows about itself and the user's module: that it is a worker, which
 * trainer classes the module's main code created, and how to load the user's class (waiting
 * for the module, or taking the class from its main code's first pool call).
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
 * What a worker knows while it imports the user's module: the trainer classes that module's
 * main code constructed, and who to tell when that main code reaches its first pool call.
 * Kept on `globalThis`, so that a second copy of this module (src and dist) shares it.
 */
interface LoadingState {
  readonly constructed: Map<string, WorkerClass>;
  parked: ((cls: WorkerClass) => void) | undefined;
}

const globals = globalThis as Record<symbol, unknown>;
const loadingState = () => globals[LOADING_STATE] as LoadingState | undefined;

/** Marks this thread as a pool worker (called by the worker entry before user code loads). */
export function markPoolWorker(): void {
  globals[POOL_WORKER_FLAG] = true;
}

/**
 * True inside a pool worker (process or thread). A module that both exports a trainer class and
 * runs training when executed can guard its main code with `if (!isPoolWorker()) main();`, since
 * every worker imports that module.
 */
export function isPoolWorker(): boolean {
  return globals[POOL_WORKER_FLAG] === true;
}

/** Called by every trainer's constructor: a worker still loading its module records the class. */
export function noteTrainerClass(cls: unknown): void {
  loadingState()?.constructed.set((cls as WorkerClass).name, cls as WorkerClass);
}

/**
 * True while this pool worker imports the user's module: a pool call made now comes from that
 * module's unguarded main code, which {@link parkMainCode} then holds.
 */
export function isLoadingWorkerModule(): boolean {
  return isPoolWorker() && loadingState() !== undefined;
}

/**
 * Holds the main code of a one-file script inside a worker: its first pool call never settles,
 * so the rest of that code never runs there, and the worker takes its class from the classes
 * the code constructed so far (the module's import cannot finish while its main code waits).
 */
export function parkMainCode(cls: unknown): Promise<never> {
  loadingState()?.parked?.(cls as WorkerClass);
  return new Promise<never>(() => {});
}

function checkedClass(value: unknown, className: string): WorkerClass | undefined {
  const cls = value as WorkerClass;
  const ok = typeof value === "function" && typeof cls.worker === "function";
  return ok && cls.name === className ? cls : undefined;
}

/**
 * Imports `moduleUrl` and returns the trainer class the parent asked for: export `exportName`,
 * a class named `className` with a static `worker` (the parent cannot check identity without
 * importing the module it may be evaluating, so the name stands for it). When the module runs
 * unguarded main code, that code's first pool call hands over the class instead (see
 * {@link parkMainCode}). Failures are {@link OptionsError}s naming the option to fix.
 * @param explicit - True when `exportName` came from the `workerExport` option.
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
      const exported = checkedClass(module[exportName], className);
      if (exported !== undefined) return exported;
      if (explicit)
        throw new OptionsError(
          "workerExport",
          exportName,
          `the name under which ${moduleUrl} exports the trainer class ${className} (a class with a static worker())`,
        );
      for (const value of Object.values(module)) {
        const renamed = checkedClass(value, className);
        if (renamed !== undefined) return renamed;
      }
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
