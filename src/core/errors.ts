/**
 * The error hierarchy of BlazeFL.ts: every error the library raises on purpose is a
 * {@link BlazeFLError} with a stable `code`, so that callers (and the CLI's {@link exitCodeFor})
 * branch on data, not on messages. The codes of every layer are listed here; each layer's error
 * classes live with it (`DataError` in src/data, `EngineError` and `DeviceError` in src/engine, ...).
 * @module
 */

/** One line of help per error code. */
export const ERROR_HELP = {
  ERR_OPTIONS: "An option or argument had a wrong type or value.",
  ERR_ABORTED: "The operation was stopped by a stop event, an AbortSignal or a signal.",
  ERR_WORKER: "User code threw inside a worker; the original error is the cause.",
  ERR_WORKER_EXIT:
    "A worker process or thread died (or hung past its timeout) and its retries were used up.",
  ERR_SHARED_MEMORY: "A shared-memory buffer or handle did not match what was expected.",
  ERR_DATA: "A dataset file is missing, truncated or corrupt, or a partition cannot be made.",
  ERR_ENGINE: "The training engine could not be initialised or a kernel failed.",
  ERR_DEVICE: "The requested device is unknown or its backend is not installed.",
  ERR_CHECKPOINT: "A checkpoint could not be written or read back.",
  ERR_DISTRIBUTED: "The distributed (Redis) trainer or worker failed.",
  ERR_INTERNAL: "An internal invariant was broken: please report it.",
} as const satisfies Record<string, string>;

/** Stable, machine-readable error codes: the keys of {@link ERROR_HELP}. */
export type BlazeFLErrorCode = keyof typeof ERROR_HELP;

/** Options accepted by every {@link BlazeFLError} constructor. */
export interface BlazeFLErrorOptions {
  /** The error that caused this one; always kept as `cause`, so no stack is lost. */
  readonly cause?: unknown;
}

/** Base class of every error raised by BlazeFL.ts: one `instanceof` catches them all. */
export class BlazeFLError extends Error {
  /** A stable code, see {@link BlazeFLErrorCode}. */
  readonly code: BlazeFLErrorCode;

  /** Names the error after its class; sets `cause` only when `options` has one. */
  constructor(code: BlazeFLErrorCode, message: string, options: BlazeFLErrorOptions = {}) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Describes a received value for an error message: its value (shortened) and its type. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  let shown: string;
  if (typeof value === "string") shown = JSON.stringify(value);
  else if (typeof value !== "object" && typeof value !== "function") shown = String(value);
  else if (Array.isArray(value)) shown = `array of length ${value.length}`;
  else if (ArrayBuffer.isView(value)) shown = value.constructor.name;
  else {
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = Object.prototype.toString.call(value);
    }
    if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  }
  return `${shown} (${Array.isArray(value) ? "array" : typeof value})`;
}

/**
 * A bad option or argument. The message names the option, the value received and what was
 * expected, e.g. ``Expected `numParallels` to be a positive integer, got 0 (number)``, so that the
 * user can fix it without reading code.
 */
export class OptionsError extends BlazeFLError {
  /** The name of the option, e.g. `numParallels` or `--sample-ratio`. */
  readonly option: string;
  /** The value that was received. */
  readonly received: unknown;
  /** What was expected, in words. */
  readonly expected: string;

  /** @param expected - Completes "Expected `option` to be ...", e.g. `"a positive integer"`. */
  constructor(
    option: string,
    received: unknown,
    expected: string,
    options: BlazeFLErrorOptions = {},
  ) {
    super(
      "ERR_OPTIONS",
      `Expected \`${option}\` to be ${expected}, got ${describeValue(received)}`,
      options,
    );
    this.option = option;
    this.received = received;
    this.expected = expected;
  }
}

/**
 * The signals the CLI turns into a clean stop, with their numbers: a stop they cause exits with
 * 128 + the number (129, 130, 143), the shell's convention that job schedulers read.
 */
export const INTERRUPT_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** A signal in {@link INTERRUPT_SIGNALS}. */
export type InterruptSignal = keyof typeof INTERRUPT_SIGNALS;

/** The operation was aborted by a stop event, an AbortSignal or a process signal. */
export class AbortError extends BlazeFLError {
  /** The process signal behind the abort, if one was: it decides the exit code. */
  readonly signal: InterruptSignal | undefined;
  /** @param message - What was aborted. */
  constructor(
    message = "The operation was aborted",
    options: BlazeFLErrorOptions & { readonly signal?: InterruptSignal } = {},
  ) {
    super("ERR_ABORTED", message, options);
    this.signal = options.signal;
  }
}

/** User code threw inside a worker. The original error (message and stack) is the `cause`. */
export class WorkerError extends BlazeFLError {
  /** The client id whose job failed. */
  readonly cid: number;
  /** @param message - A summary naming the client and where it failed. */
  constructor(cid: number, message: string, options: BlazeFLErrorOptions = {}) {
    super("ERR_WORKER", message, options);
    this.cid = cid;
  }
}

/** A worker process or thread died while it ran a client, and the retries were used up. */
export class WorkerExitError extends BlazeFLError {
  /** The client id whose job was lost. */
  readonly cid: number;
  /** The exit code, or `null` when a signal ended the worker. */
  readonly exitCode: number | null;
  /** The signal that ended the worker, or `null`. */
  readonly signal: string | null;
  /** `options.message` replaces the default message, for subclasses. */
  constructor(
    cid: number,
    exitCode: number | null,
    signal: string | null,
    options: BlazeFLErrorOptions & { readonly message?: string } = {},
  ) {
    const how = signal !== null ? `signal ${signal}` : `exit code ${String(exitCode)}`;
    const message =
      options.message ?? `Worker running client ${cid} died (${how}) and its retries were used up`;
    super("ERR_WORKER_EXIT", message, options);
    this.cid = cid;
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/**
 * A client ran longer than the pool's `clientTimeout`: its worker was treated as dead (killed and
 * replaced), and the retries were used up. Hung workers (SIGSTOP, a deadlock) end this way
 * instead of blocking the call forever.
 */
export class WorkerTimeoutError extends WorkerExitError {
  /** The `clientTimeout` that was exceeded, in seconds. */
  readonly timeoutSeconds: number;
  /** `exitCode` and `signal` are those of the killed worker. */
  constructor(
    cid: number,
    timeoutSeconds: number,
    exitCode: number | null,
    signal: string | null,
    options: BlazeFLErrorOptions = {},
  ) {
    super(cid, exitCode, signal, {
      ...options,
      message: `Client ${cid} ran longer than clientTimeout (${timeoutSeconds} s): its worker was treated as dead (killed and replaced) and its retries were used up`,
    });
    this.timeoutSeconds = timeoutSeconds;
  }
}

/** A shared-memory buffer, handle or receipt did not match what was expected. */
export class SharedMemoryError extends BlazeFLError {
  /** @param message - What did not match. */
  constructor(message: string, options: BlazeFLErrorOptions = {}) {
    super("ERR_SHARED_MEMORY", message, options);
  }
}

/**
 * The process exit code for an error, as the CLI uses it: 2 for a bad option, input data or
 * device; when aborted, 128 + the number of the {@link INTERRUPT_SIGNALS} signal found on the
 * error or its causes (130, as for SIGINT, when there is none); 1 otherwise.
 */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof BlazeFLError)) return 1;
  if (error.code === "ERR_OPTIONS" || error.code === "ERR_DATA" || error.code === "ERR_DEVICE")
    return 2;
  if (error.code !== "ERR_ABORTED") return 1;
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if (e instanceof AbortError && e.signal !== undefined) return 128 + INTERRUPT_SIGNALS[e.signal];
  return 128 + INTERRUPT_SIGNALS.SIGINT;
}
