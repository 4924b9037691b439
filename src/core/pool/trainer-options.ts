/**
 * Options and conventions shared by the serial, thread-pool and process-pool client trainers:
 * devices, client-id checks, the progress hook's job handles and the one-function client task.
 *
 * @module
 */
import { OptionsError } from "../errors.js";
import type { StopEvent } from "../stop-event.js";
import { assertNonNegativeInteger, assertPositiveInteger } from "../validate.js";

/**
 * The devices a trainer accepts:
 * - `"cpu"`: the default CPU engine (the engine layer picks native when built, wasm otherwise);
 * - `"cpu-reference"`, `"cpu-native"`, `"cpu-wasm"`: a specific CPU engine, as the engine layer
 *   defines them;
 * - `"cuda"`: clients spread round-robin over `deviceCount` GPUs (`cuda:${cid % deviceCount}`);
 * - `"cuda:N"`: one GPU.
 */
export const CPU_DEVICES = ["cpu", "cpu-reference", "cpu-native", "cpu-wasm"] as const;

const DEVICE_EXPECTED = `one of ${CPU_DEVICES.map((d) => `"${d}"`).join(", ")}, "cuda" or "cuda:N"`;

/** Throws an {@link OptionsError} unless `device` is a device string trainers accept. */
export function assertDevice(option: string, device: unknown): asserts device is string {
  if (
    typeof device !== "string" ||
    !((CPU_DEVICES as readonly string[]).includes(device) || /^cuda(:(0|[1-9]\d*))?$/.test(device))
  )
    throw new OptionsError(option, device, DEVICE_EXPECTED);
}

/**
 * The device of client `cid`: `"cuda"` becomes `` `cuda:${cid % deviceCount}` ``; any other
 * device is returned as it is. Pure.
 */
export function clientDevice(device: string, deviceCount: number, cid: number): string {
  return device === "cuda" ? `cuda:${cid % deviceCount}` : device;
}

/** Options every client trainer takes. */
export interface ClientTrainerOptions {
  /** The device clients train on; see {@link CPU_DEVICES}. @default "cpu" */
  readonly device?: string;
  /** The number of GPUs `"cuda"` spreads clients over. @default 1 */
  readonly deviceCount?: number;
}

/** Options of the thread-pool and process-pool trainers. */
export interface PoolClientTrainerOptions extends ClientTrainerOptions {
  /** The number of workers, kept alive across `localProcess` calls. */
  readonly numParallels: number;
  /**
   * The URL of the module that exports your trainer class: pass `import.meta.url` from that
   * module. Each worker imports it once and calls the class's static `worker`.
   */
  readonly workerModule: string | URL;
  /**
   * The name under which `workerModule` exports your class. By default the trainer looks the
   * class up among the module's exports.
   */
  readonly workerExport?: string;
  /**
   * How many times a client whose worker died (killed, out of memory, `process.exit`) is retried
   * on a fresh worker before `localProcess` rejects with a `WorkerExitError`.
   * @default 1
   */
  readonly maxRetries?: number;
  /**
   * When true, result arrays live in buffers the trainer reuses: packages taken from `cache`
   * stay valid only until the next `localProcess` call starts (copy what you keep longer). This
   * saves allocating and page-faulting fresh memory per client, which costs several times the
   * copy itself on large models (see bench/overhead). When false, every result owns its memory.
   * @default false
   */
  readonly reuseResultBuffers?: boolean;
  /**
   * Seconds one client may run on its worker. A job that runs longer gets its worker killed and
   * is then handled exactly like a worker that died: the worker is replaced and the client
   * retried up to `maxRetries` times, after which the call rejects with a `WorkerTimeoutError`
   * (a `WorkerExitError`) naming the cid. Without it a hung worker (SIGSTOP, a deadlock in user
   * code) blocks the call forever. Set it well above the slowest client's time.
   * @default undefined (no limit)
   * @example `clientTimeout: 600` (ten minutes)
   */
  readonly clientTimeout?: number;
  /**
   * Called, once per job, when a job has run longer than `stallFactor` x the median job time of
   * this pool so far (and at least `minStallSeconds`): a notice that a worker may be hung, in
   * time to act, where it would otherwise block the round with no sign. Silent until one job of
   * the pool has finished (there is no median before). It must not throw.
   */
  readonly onStall?: (info: StallInfo) => void;
  /** How many median job times a job runs before `onStall` is called. @default 30 */
  readonly stallFactor?: number;
  /** The fewest seconds a job runs before `onStall` is called, so tiny medians do not spam. @default 10 */
  readonly minStallSeconds?: number;
}

/** What `onStall` is told about a job that has run unusually long. */
export interface StallInfo {
  /** The client id. */
  readonly cid: number;
  /** How long the job has been running, in seconds. */
  readonly runningSeconds: number;
  /** The median job time of the pool so far, in seconds. */
  readonly medianSeconds: number;
  /** The worker's process id (for a thread pool, the parent's). */
  readonly pid: number;
  /** The worker's thread id (0 for a process pool). */
  readonly threadId: number;
}

/** The validated common options. */
export interface ResolvedTrainerOptions {
  readonly device: string;
  readonly deviceCount: number;
}

/** Validates {@link ClientTrainerOptions}. */
export function resolveTrainerOptions(options: ClientTrainerOptions): ResolvedTrainerOptions {
  if (typeof options !== "object" || options === null)
    throw new OptionsError("options", options, "an options object");
  const device = options.device ?? "cpu";
  assertDevice("device", device);
  const deviceCount = options.deviceCount ?? 1;
  assertPositiveInteger("deviceCount", deviceCount);
  return { device, deviceCount };
}

/** The validated pool options. */
export interface ResolvedPoolOptions extends ResolvedTrainerOptions {
  readonly numParallels: number;
  readonly workerModule: string;
  readonly workerExport: string | undefined;
  readonly maxRetries: number;
  readonly reuseResultBuffers: boolean;
  /** `clientTimeout`, in milliseconds. */
  readonly clientTimeoutMs: number | undefined;
  readonly onStall: ((info: StallInfo) => void) | undefined;
  readonly stallFactor: number;
  /** `minStallSeconds`, in milliseconds. */
  readonly minStallMs: number;
}

/** The longest delay `setTimeout` honours, in seconds (about 24.8 days). */
const MAX_TIMER_SECONDS = 2_147_483;

function seconds(option: string, value: unknown, min: "> 0" | ">= 0"): number {
  if (
    typeof value !== "number" ||
    !(min === "> 0" ? value > 0 : value >= 0) ||
    value > MAX_TIMER_SECONDS
  )
    throw new OptionsError(option, value, `a number of seconds ${min} and <= ${MAX_TIMER_SECONDS}`);
  return value;
}

/** Validates {@link PoolClientTrainerOptions}. */
export function resolvePoolOptions(options: PoolClientTrainerOptions): ResolvedPoolOptions {
  const common = resolveTrainerOptions(options);
  assertPositiveInteger("numParallels", options.numParallels);
  const moduleUrl = options.workerModule;
  let workerModule: string;
  if (moduleUrl instanceof URL) workerModule = moduleUrl.href;
  else if (typeof moduleUrl === "string" && /^[a-z][a-z0-9+.-]*:/i.test(moduleUrl))
    workerModule = moduleUrl;
  else
    throw new OptionsError(
      "workerModule",
      moduleUrl,
      "the URL of the module that exports the trainer class (pass import.meta.url)",
    );
  if (
    options.workerExport !== undefined &&
    (typeof options.workerExport !== "string" || options.workerExport === "")
  )
    throw new OptionsError("workerExport", options.workerExport, "a non-empty export name");
  const maxRetries = options.maxRetries ?? 1;
  assertNonNegativeInteger("maxRetries", maxRetries);
  if (options.reuseResultBuffers !== undefined && typeof options.reuseResultBuffers !== "boolean")
    throw new OptionsError("reuseResultBuffers", options.reuseResultBuffers, "a boolean");
  const { clientTimeout, onStall, stallFactor = 30, minStallSeconds = 10 } = options;
  if (onStall !== undefined && typeof onStall !== "function")
    throw new OptionsError("onStall", onStall, "a function");
  if (typeof stallFactor !== "number" || !(stallFactor >= 1) || !Number.isFinite(stallFactor))
    throw new OptionsError("stallFactor", stallFactor, "a finite number >= 1");
  return {
    ...common,
    numParallels: options.numParallels,
    workerModule,
    workerExport: options.workerExport,
    maxRetries,
    reuseResultBuffers: options.reuseResultBuffers ?? false,
    clientTimeoutMs:
      clientTimeout === undefined
        ? undefined
        : seconds("clientTimeout", clientTimeout, "> 0") * 1000,
    onStall,
    stallFactor,
    minStallMs: seconds("minStallSeconds", minStallSeconds, ">= 0") * 1000,
  };
}

/**
 * One client's job as the progress hook sees it. `result` settles when the client is done;
 * jobs are handed over in submission (`cidList`) order.
 */
export interface ClientJob<Up> {
  /** The client id. */
  readonly cid: number;
  /** The position of the client in `cidList`. */
  readonly index: number;
  /** The client's uplink package, once trained. */
  readonly result: Promise<Up>;
}

/**
 * Everything one client's training needs: the argument of a {@link ClientTask}.
 *
 * @typeParam Up - The uplink package.
 * @typeParam Down - The downlink package.
 * @typeParam Config - The per-client configuration.
 */
export interface ClientTaskContext<Up, Down, Config> {
  /** The client id. */
  readonly cid: number;
  /** `getClientConfig(cid)`, as the parent computed it. */
  readonly config: Config;
  /** The server's package. Read-only: it may be shared with other clients and workers. */
  readonly payload: Down;
  /** `getClientDevice(cid)`. */
  readonly device: string;
  /** Check it between units of work (batches, epochs) and return early when it is set. */
  readonly stopEvent: StopEvent;
  /**
   * The client's preallocated result buffer (`prepareUplinkPackageBuffer(cid)`), whose arrays
   * live in shared memory (zero-filled), or `undefined` when the trainer has none. Writing the
   * result's arrays into it and returning it saves a copy.
   */
  readonly shmBuffer: Up | undefined;
}

/**
 * One function that trains a client, callable from every trainer's static `worker` in one line
 * (`return task({ cid, config, payload, device, stopEvent, shmBuffer })`), so an algorithm gets
 * serial, thread and process variants without three copies (see test/fixtures/core/toy-trainers).
 * It must be a pure function of its context (randomness from `clientStream(seed, cid, round)`),
 * so which worker runs a client never matters.
 */
export type ClientTask<Up, Down, Config> = (
  context: ClientTaskContext<Up, Down, Config>,
) => Up | Promise<Up>;

/** The last argument of the serial and process trainers' static `worker`. */
export interface WorkerContext<Up> {
  /** The client id. */
  readonly cid: number;
  /** The client's preallocated result buffer in shared memory, or `undefined`. */
  readonly shmBuffer: Up | undefined;
}

/** The last argument of the thread trainer's static `worker`. */
export interface ThreadWorkerContext<Up, Config> {
  /** `getClientConfig(cid)`. */
  readonly config: Config;
  /** The client's preallocated result buffer in shared memory, or `undefined`. */
  readonly shmBuffer: Up | undefined;
}
