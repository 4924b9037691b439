/**
 * The typed messages between a pool trainer and its workers (child processes or worker threads).
 * Only small things cross: ids, configs, receipts, errors. Arrays travel in shared regions.
 * @module
 */

/** What a worker needs to start: where the user's class is and where the shared regions are. */
export interface InitMessage {
  readonly type: "init";
  /** Which static `worker` signature to call. */
  readonly kind: "process" | "thread";
  /** The module that exports the trainer class, and the export to take. */
  readonly moduleUrl: string;
  readonly exportName: string;
  /** The class's name: the worker checks the export against it. */
  readonly className: string;
  /** True when `exportName` came from the `workerExport` option (no search by name then). */
  readonly explicit: boolean;
  /** Processes: the control file (stop flag, cancelled generation). */
  readonly controlPath?: string;
  /** Threads: the control words (stop flag, cancelled generation). */
  readonly controlBuffer?: SharedArrayBuffer;
  /** Processes: the file that holds each call's payload arrays. */
  readonly payloadPath?: string;
  /** Processes: the worker's result files, used in turn. */
  readonly slotPaths?: readonly string[];
}

/** A region: the receipt of the arrays in it, its bytes, and for threads the buffer itself. */
export interface RegionMessage {
  readonly receipt: unknown;
  readonly byteLength: number;
  readonly buffer?: SharedArrayBuffer;
}

/** One client's job. */
export interface JobMessage {
  readonly type: "job";
  /** Unique per pool: a reply names it, so a stale reply is recognised. */
  readonly jobId: number;
  /** The `localProcess` call this job belongs to: its cancellation reaches the job through it. */
  readonly generation: number;
  readonly cid: number;
  readonly device: string;
  readonly config: unknown;
  /** The call's payload, sent only with a worker's first job of a call. */
  readonly payload?: RegionMessage;
  /** The result buffer's layout (from `prepareUplinkPackageBuffer`), if any. */
  readonly template?: RegionMessage;
  /** Threads: a (maybe recycled) buffer for the result; the worker makes its own if too small. */
  readonly slotBuffer?: SharedArrayBuffer;
  /** Threads: `slotBuffer` may hold old bytes, so `shmBuffer` must be zeroed first. */
  readonly zeroFill?: boolean;
  /** Processes: which of the worker's result files (`slotPaths`) this job writes. */
  readonly slot?: number;
}

/** Parent to worker: an idle worker asked to exit is `{ type: "exit" }`. */
export type ParentMessage = InitMessage | JobMessage | { readonly type: "exit" };

/** An error, flattened so that it crosses any boundary with what the parent needs of it. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** A `BlazeFLError` code, which decides the parent's error class. */
  readonly code?: string;
  /** When the worker could not load the user's class: the option at fault and what it needs. */
  readonly option?: string;
  readonly expected?: string;
}

/** Worker to parent. `ready` carries the worker's ids (`threadId` 0 in a process). */
export type WorkerMessage =
  | { readonly type: "ready"; readonly pid: number; readonly threadId: number }
  | { readonly type: "init-error"; readonly error: SerializedError }
  | ResultMessage
  | { readonly type: "job-error"; readonly jobId: number; readonly error: SerializedError };

/** A job finished: its receipt, the bytes of region 0 it uses, and for threads that region. */
export interface ResultMessage {
  readonly type: "result";
  readonly jobId: number;
  readonly receipt: unknown;
  readonly byteLength: number;
  readonly slotBuffer?: SharedArrayBuffer;
}

/** Flattens any thrown value. */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) {
    let message: string;
    try {
      message = typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
    } catch {
      message = String(error);
    }
    return { name: "Error", message: `A non-Error value was thrown: ${message}` };
  }
  const { code, option, expected } = error as Error & Record<string, unknown>;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    ...(typeof code === "string" ? { code } : {}),
    ...(typeof option === "string" && typeof expected === "string" ? { option, expected } : {}),
  };
}

/** Rebuilds an `Error` that carries the worker's name, message, stack and code. */
export function deserializeError(error: SerializedError): Error {
  const rebuilt = Object.assign(new Error(error.message), { name: error.name });
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  if (error.code !== undefined) Object.assign(rebuilt, { code: error.code });
  return rebuilt;
}

const isErrorLike = (value: unknown): boolean =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as SerializedError).name === "string" &&
  typeof (value as SerializedError).message === "string";

/**
 * Narrows an incoming message; anything else is `undefined`. User code in a thread can post to
 * the same port, so nothing is trusted by its `type` alone.
 */
export function parseWorkerMessage(value: unknown): WorkerMessage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const ok =
    m.type === "ready"
      ? typeof m.pid === "number" && typeof m.threadId === "number"
      : m.type === "init-error"
        ? isErrorLike(m.error)
        : m.type === "result"
          ? typeof m.jobId === "number" && typeof m.byteLength === "number"
          : m.type === "job-error" && typeof m.jobId === "number" && isErrorLike(m.error);
  return ok ? (value as WorkerMessage) : undefined;
}
