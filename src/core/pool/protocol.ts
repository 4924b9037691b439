/**
 * The typed messages between a pool trainer and its workers (child processes or worker threads).
 * Only small things cross: ids, configs, receipts, errors. Arrays travel in shared regions.
 *
 * @module
 */

/** What a worker needs to start: where the user's class is and where the shared regions are. */
export interface InitMessage {
  readonly type: "init";
  /** `"process"` or `"thread"`: which static `worker` signature to call. */
  readonly kind: "process" | "thread";
  /** The URL of the module that exports the trainer class. */
  readonly moduleUrl: string;
  /** The export name of the class in that module. */
  readonly exportName: string;
  /** The class's name: the worker checks the export against it. */
  readonly className: string;
  /** True when `exportName` came from the `workerExport` option. */
  readonly explicit: boolean;
  /** Processes: the control file (stop flag, cancelled generation). */
  readonly controlPath?: string;
  /** Threads: the control words (stop flag, cancelled generation). */
  readonly controlBuffer?: SharedArrayBuffer;
  /** Processes: the file that holds each call's payload arrays. */
  readonly payloadPath?: string;
  /**
   * Processes: this worker's two result files. Jobs alternate between them, so that the worker
   * writes one result while the parent reads the previous one.
   */
  readonly slotPaths?: readonly string[];
}

/** A region description: its receipt and byte length, and for threads the buffer itself. */
export interface RegionMessage {
  /** The receipt (the package with arrays replaced by handles). */
  readonly receipt: unknown;
  /** The bytes used in the region. */
  readonly byteLength: number;
  /** Threads: the shared buffer. Processes: absent, the region is a file. */
  readonly buffer?: SharedArrayBuffer;
}

/** One client's job. */
export interface JobMessage {
  readonly type: "job";
  /** Unique per pool; a reply names it so stale replies are recognised. */
  readonly jobId: number;
  /** The `localProcess` call this job belongs to. */
  readonly generation: number;
  /** The client id. */
  readonly cid: number;
  /** The device for this client (`getClientDevice(cid)`). */
  readonly device: string;
  /** `getClientConfig(cid)`. */
  readonly config: unknown;
  /** The call's payload, sent only with a worker's first job of a call. */
  readonly payload?: RegionMessage;
  /** The result slot's layout (from `prepareUplinkPackageBuffer`), if any. */
  readonly template?: RegionMessage;
  /**
   * Threads: a buffer to put results in (`template.buffer` when there is a template, otherwise a
   * recycled one that may fit); the worker allocates its own when the result does not fit.
   */
  readonly slotBuffer?: SharedArrayBuffer;
  /** Threads: true when `slotBuffer` may hold old bytes, so `shmBuffer` must be zeroed first. */
  readonly zeroFill?: boolean;
  /** Processes: which of the worker's result files (`slotPaths`) this job writes. */
  readonly slot?: number;
}

/** Asks an idle worker to exit. */
export interface ExitMessage {
  readonly type: "exit";
}

/** Parent to worker. */
export type ParentMessage = InitMessage | JobMessage | ExitMessage;

/** An error, flattened so that it crosses any boundary. */
export interface SerializedError {
  /** The error's name, e.g. `RangeError`. */
  readonly name: string;
  /** Its message. */
  readonly message: string;
  /** Its stack, as the worker printed it. */
  readonly stack?: string;
  /** A `BlazeFLError` code when the worker raised one. */
  readonly code?: string;
  /** The option at fault, when the worker could not load the user's class. */
  readonly option?: string;
  /** What that option should have been. */
  readonly expected?: string;
}

/** The worker loaded the user's module and waits for jobs. */
export interface ReadyMessage {
  readonly type: "ready";
  /** The worker's process id. */
  readonly pid: number;
  /** The worker's thread id (0 in a worker process). */
  readonly threadId: number;
}

/** The worker could not load the user's module or class. */
export interface InitErrorMessage {
  readonly type: "init-error";
  /** Why loading failed. */
  readonly error: SerializedError;
}

/** A job finished: its receipt and where its arrays are. */
export interface ResultMessage {
  readonly type: "result";
  /** The job this answers. */
  readonly jobId: number;
  /** The result package with its arrays replaced by handles. */
  readonly receipt: unknown;
  /** The bytes of region 0 (the slot) the receipt uses. */
  readonly byteLength: number;
  /** Threads: the slot buffer used (region 0), when the worker wrote any array. */
  readonly slotBuffer?: SharedArrayBuffer;
}

/** A job failed inside the worker. */
export interface JobErrorMessage {
  readonly type: "job-error";
  /** The job this answers. */
  readonly jobId: number;
  /** What the user code threw. */
  readonly error: SerializedError;
}

/** Worker to parent. */
export type WorkerMessage = ReadyMessage | InitErrorMessage | ResultMessage | JobErrorMessage;

/** Flattens any thrown value. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const { code, option, expected } = error as {
      code?: unknown;
      option?: unknown;
      expected?: unknown;
    };
    return {
      name: error.name,
      message: error.message,
      ...(error.stack !== undefined ? { stack: error.stack } : {}),
      ...(typeof code === "string" ? { code } : {}),
      ...(typeof option === "string" && typeof expected === "string" ? { option, expected } : {}),
    };
  }
  let message: string;
  try {
    message = typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    message = String(error);
  }
  return { name: "Error", message: `A non-Error value was thrown: ${message}` };
}

/** Rebuilds an `Error` that carries the worker's name, message and stack. */
export function deserializeError(error: SerializedError): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  if (error.code !== undefined) (rebuilt as Error & { code?: string }).code = error.code;
  return rebuilt;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isSerializedError(value: unknown): value is SerializedError {
  return isRecord(value) && typeof value.name === "string" && typeof value.message === "string";
}

/** Narrows an incoming message from a worker; anything else is `undefined`. */
export function parseWorkerMessage(value: unknown): WorkerMessage | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case "ready":
      return typeof value.pid === "number" && typeof value.threadId === "number"
        ? (value as unknown as ReadyMessage)
        : undefined;
    case "init-error":
      return isSerializedError(value.error) ? (value as unknown as InitErrorMessage) : undefined;
    case "result":
      return typeof value.jobId === "number" && typeof value.byteLength === "number"
        ? (value as unknown as ResultMessage)
        : undefined;
    case "job-error":
      return typeof value.jobId === "number" && isSerializedError(value.error)
        ? (value as unknown as JobErrorMessage)
        : undefined;
    default:
      return undefined;
  }
}
