/**
 * Options and conventions the client trainers share, validated once by their constructors.
 * @module
 */
import { OptionsError } from "../errors.js";
import type { StopEvent } from "../stop-event.js";
import { assertNonNegativeInteger, assertPositiveInteger } from "../validate.js";

/**
 * The CPU devices a trainer accepts: `"cpu"` (the engine layer picks native when built, wasm
 * otherwise) and the engines it can force. Besides these: `"cuda"` (clients round-robin over
 * `deviceCount` GPUs) and `"cuda:N"` (one GPU).
 */
export const CPU_DEVICES = ["cpu", "cpu-reference", "cpu-native", "cpu-wasm"] as const;

/** Throws an {@link OptionsError} unless `device` is a device string trainers accept. */
export function assertDevice(option: string, device: unknown): asserts device is string {
  const known = (CPU_DEVICES as readonly unknown[]).includes(device);
  if (!known && !(typeof device === "string" && /^cuda(:(0|[1-9]\d*))?$/.test(device)))
    throw new OptionsError(
      option,
      device,
      `one of "${CPU_DEVICES.join('", "')}", "cuda" or "cuda:N"`,
    );
}

/** `getClientDevice` as a pure function, so that it can be tested without a GPU. */
export function clientDevice(device: string, deviceCount: number, cid: number): string {
  return device === "cuda" ? `cuda:${cid % deviceCount}` : device;
}

/** `value` as a module URL (a `URL`, or a string with a scheme), else `undefined`. */
export function moduleUrl(value: unknown): string | undefined {
  if (value instanceof URL) return value.href;
  return typeof value === "string" && /^[a-z][a-z0-9+.-]*:/i.test(value) ? value : undefined;
}

/** Options every client trainer takes. */
export interface ClientTrainerOptions {
  /** The device clients train on (see {@link CPU_DEVICES}). @default "cpu" */
  readonly device?: string;
  /** The number of GPUs `"cuda"` spreads clients over. @default 1 */
  readonly deviceCount?: number;
}

/** Options of the thread-pool and process-pool trainers. */
export interface PoolClientTrainerOptions extends ClientTrainerOptions {
  /** The number of workers, kept alive across `localProcess` calls. */
  readonly numParallels: number;
  /**
   * The URL of the module that exports your trainer class (pass `import.meta.url`): workers
   * cannot be handed a class, so each imports it from there.
   */
  readonly workerModule: string | URL;
  /** The name under which `workerModule` exports your class. @default found by the class's name */
  readonly workerExport?: string;
  /**
   * How many times a client whose worker died (killed, out of memory, `process.exit`) is retried
   * on a fresh worker before `localProcess` rejects with a `WorkerExitError`.
   * @default 1
   */
  readonly maxRetries?: number;
  /**
   * When true, results live in buffers the trainer reuses, which saves allocating and
   * page-faulting fresh memory per client (on large models several times the cost of the copy,
   * see bench/overhead). Packages taken from `cache` then stay valid only until the next
   * `localProcess` call starts: copy what you keep longer.
   * @default false
   */
  readonly reuseResultBuffers?: boolean;
  /**
   * Seconds one client may run on its worker; without it a hung worker (SIGSTOP, a deadlock in
   * user code) blocks the call forever. A job that runs longer has its worker killed and is
   * retried like one that died (`maxRetries`), then the call rejects with a `WorkerTimeoutError`
   * (a `WorkerExitError`) naming the cid. Set it well above the slowest client's time.
   * @default undefined (no limit)
   */
  readonly clientTimeout?: number;
  /**
   * Called once per job that has run longer than `stallFactor` x the pool's median job time (and
   * at least `minStallSeconds`): a sign that a worker may be hung, in time to act. Silent until
   * a first job has finished (there is no median before). It must not throw.
   */
  readonly onStall?: (info: StallInfo) => void;
  /** How many median job times a job runs before `onStall` is called. @default 30 */
  readonly stallFactor?: number;
  /** The fewest seconds before `onStall` is called, so tiny medians do not spam. @default 10 */
  readonly minStallSeconds?: number;
}

/** What `onStall` is told about a job, so that a notice can say where to look. */
export interface StallInfo {
  /** The client id. */
  readonly cid: number;
  /** How long the job has been running, in seconds. */
  readonly runningSeconds: number;
  /** The pool's median job time so far, in seconds. */
  readonly medianSeconds: number;
  /** The worker's process id (in a thread pool, the parent's). */
  readonly pid: number;
  /** The worker's thread id (0 in a process pool). */
  readonly threadId: number;
}

/** The validated common options. */
export function resolveTrainerOptions(options: ClientTrainerOptions): {
  readonly device: string;
  readonly deviceCount: number;
} {
  if (typeof options !== "object" || options === null)
    throw new OptionsError("options", options, "an options object");
  const { device = "cpu", deviceCount = 1 } = options;
  assertDevice("device", device);
  assertPositiveInteger("deviceCount", deviceCount);
  return { device, deviceCount };
}

/** The validated pool options (times in milliseconds). */
export type ResolvedPoolOptions = ReturnType<typeof resolvePoolOptions>;

/** The longest delay `setTimeout` honours, in seconds (about 24.8 days). */
const MAX_TIMER_SECONDS = 2_147_483;

/** The option `value`, in seconds, as milliseconds. */
function milliseconds(option: string, value: unknown, positive: boolean): number {
  if (
    typeof value !== "number" ||
    !(positive ? value > 0 : value >= 0) ||
    value > MAX_TIMER_SECONDS
  )
    throw new OptionsError(
      option,
      value,
      `seconds ${positive ? ">" : ">="} 0, <= ${MAX_TIMER_SECONDS}`,
    );
  return value * 1000;
}

/** Validates {@link PoolClientTrainerOptions}. */
export function resolvePoolOptions(options: PoolClientTrainerOptions) {
  const common = resolveTrainerOptions(options);
  const { numParallels, workerModule: url, workerExport, reuseResultBuffers = false } = options;
  const {
    maxRetries = 1,
    clientTimeout,
    onStall,
    stallFactor = 30,
    minStallSeconds = 10,
  } = options;
  assertPositiveInteger("numParallels", numParallels);
  const workerModule = moduleUrl(url);
  if (workerModule === undefined)
    throw new OptionsError(
      "workerModule",
      url,
      "the URL of the module that exports the trainer class (pass import.meta.url)",
    );
  if (workerExport !== undefined && (typeof workerExport !== "string" || workerExport === ""))
    throw new OptionsError("workerExport", workerExport, "a non-empty export name");
  assertNonNegativeInteger("maxRetries", maxRetries);
  if (typeof reuseResultBuffers !== "boolean")
    throw new OptionsError("reuseResultBuffers", reuseResultBuffers, "a boolean");
  if (onStall !== undefined && typeof onStall !== "function")
    throw new OptionsError("onStall", onStall, "a function");
  if (typeof stallFactor !== "number" || !(stallFactor >= 1 && Number.isFinite(stallFactor)))
    throw new OptionsError("stallFactor", stallFactor, "a finite number >= 1");
  return {
    ...common,
    numParallels,
    workerModule,
    workerExport,
    maxRetries,
    reuseResultBuffers,
    clientTimeoutMs:
      clientTimeout === undefined ? undefined : milliseconds("clientTimeout", clientTimeout, true),
    onStall,
    stallFactor,
    minStallMs: milliseconds("minStallSeconds", minStallSeconds, false),
  };
}

/** One client's job as `progressFn` sees it. */
export interface ClientJob<Up> {
  /** The client id. */
  readonly cid: number;
  /** The client's position in `cidList`. */
  readonly index: number;
  /** The client's uplink package; settles when the client is done. */
  readonly result: Promise<Up>;
}

/** The argument of a {@link ClientTask}: everything one client's training needs. */
export interface ClientTaskContext<Up, Down, Config> {
  /** The client id. */
  readonly cid: number;
  /** `getClientConfig(cid)`, as the parent computed it. */
  readonly config: Config;
  /** The server's package: read only, it is shared with other clients and workers. */
  readonly payload: Down;
  /** `getClientDevice(cid)`. */
  readonly device: string;
  /** Check it between units of work and return early when it is set. */
  readonly stopEvent: StopEvent;
  /** The client's shared result buffer (see `prepareUplinkPackageBuffer`), or `undefined`. */
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
  /** The client's shared result buffer (see `prepareUplinkPackageBuffer`), or `undefined`. */
  readonly shmBuffer: Up | undefined;
}

/** The last argument of the thread trainer's static `worker`. */
export interface ThreadWorkerContext<Up, Config> {
  /** `getClientConfig(cid)`. */
  readonly config: Config;
  /** The client's shared result buffer (see `prepareUplinkPackageBuffer`), or `undefined`. */
  readonly shmBuffer: Up | undefined;
}
