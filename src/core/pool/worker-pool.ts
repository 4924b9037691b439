/**
 * The scheduler under both pool trainers. It knows workers only through a small transport
 * (spawn, post, kill, read a result), and owns the rules every pool keeps:
 * - workers stay alive across calls; a call's jobs go, in `cidList` order, to idle workers;
 * - each job carries its client's plan (config, device, result layout), made before the call;
 * - the first failure (user exception, lost retries, stop event) rejects the call at once,
 *   cancels its other jobs (their workers see `stopEvent.isSet()`), and leaves the pool usable;
 * - a worker that dies is replaced, and its client retried up to `maxRetries` times;
 * - a job that runs past `clientTimeout` gets its worker killed, and is then such a death;
 *   one that runs past `stallFactor` x the median job time is reported once to `onStall`;
 * - workers hold the event loop open only while a call or a start-up is in progress.
 *
 * @module
 */
import {
  AbortError,
  BlazeFLError,
  type InterruptSignal,
  OptionsError,
  SharedMemoryError,
  WorkerError,
  WorkerExitError,
  WorkerTimeoutError,
} from "../errors.js";
import {
  deserializeError,
  type JobMessage,
  type ParentMessage,
  parseWorkerMessage,
  type RegionMessage,
  type ResultMessage,
  type WorkerMessage,
} from "./protocol.js";
import type { PoolStopEvent } from "./stop-flags.js";
import type { ResolvedPoolOptions } from "./trainer-options.js";
import type { CollectableRun } from "./trainer-template.js";

/** A started worker as the pool drives it. */
export interface SpawnedWorker {
  /** Sends a message; a closed channel is reported by the `exit` event, not here. */
  post(message: ParentMessage): void;
  /** Ends the worker at once (SIGKILL, `terminate()`). */
  kill(): void;
  /** Lets the worker keep the event loop alive, or stops it from doing so. */
  ref(active: boolean): void;
}

/** What a spawned worker reports. */
export interface WorkerEvents {
  /** A message arrived (parsed and checked by the pool). */
  message(value: unknown): void;
  /** The worker ended, with an exit code or a signal. */
  exit(code: number | null, signal: string | null): void;
  /** The worker reported an error (an uncaught exception in a thread, a failed spawn). */
  error(error: Error): void;
}

/** The pool's view of one worker, as the transport sees it. */
export interface WorkerInfo {
  /** Increases with every worker the pool starts; names the worker's files. */
  readonly serial: number;
}

/** One client's job: its plan, made by the trainer before the call. */
export interface PoolJob {
  /** The client id. */
  readonly cid: number;
  /** Its position in `cidList`. */
  readonly index: number;
  /** `getClientConfig(cid)`. */
  readonly config: unknown;
  /** `getClientDevice(cid)`. */
  readonly device: string;
  /** The result buffer's layout, if the trainer has one. */
  readonly template: RegionMessage | undefined;
}

/** Transport-specific parts of a pool. */
export interface PoolTransport {
  /** A name for messages, e.g. "ProcessPoolClientTrainer". */
  readonly name: string;
  /** The `workerModule` URL and the `workerExport` option, for init errors. */
  readonly moduleUrl: string;
  readonly exportName: string | undefined;
  /** Starts a worker; it must send `ready` or `init-error` when loaded. */
  spawn(info: WorkerInfo, events: WorkerEvents): SpawnedWorker;
  /** The transport's fields of a job's message: where its result goes. */
  resultSlot(
    job: PoolJob,
    worker: WorkerInfo,
  ): Pick<JobMessage, "slot" | "slotBuffer" | "zeroFill">;
  /** Turns a worker's receipt into the client's package (reads the slot the job was given). */
  acceptResult(message: ResultMessage, sent: JobMessage, worker: WorkerInfo): unknown;
  /** A worker is gone: release what was tied to it. */
  released(worker: WorkerInfo): void;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection is always observed through the call's failure; never let one go unhandled.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

interface RunJob extends PoolJob {
  readonly result: Deferred<unknown>;
  /** Deaths survived so far. */
  attempts: number;
}

interface RunState {
  readonly generation: number;
  readonly payload: RegionMessage;
  readonly jobs: RunJob[];
  queue: RunJob[];
  remaining: number;
  finished: boolean;
  readonly failure: Deferred<never>;
  unsubscribe: () => void;
}

/** A job on its worker, with its clock and its stall and timeout timers. */
interface BusyJob {
  readonly job: RunJob;
  readonly run: RunState;
  readonly message: JobMessage;
  readonly startedAt: number;
  stallTimer: NodeJS.Timeout | undefined;
  stalled: boolean;
  timeoutTimer: NodeJS.Timeout | undefined;
}

interface WorkerState extends WorkerInfo {
  readonly slot: number;
  readonly handle: SpawnedWorker;
  state: "starting" | "idle" | "busy" | "dead";
  pid: number;
  threadId: number;
  /** The last call whose payload this worker received. */
  payloadGeneration: number;
  job: BusyJob | undefined;
  /** Killed for running past `clientTimeout`: its last words are ignored. */
  timedOut: boolean;
  readonly ready: Deferred<void>;
  readonly exited: Deferred<void>;
  lastError: Error | undefined;
}

/** How many recent job times the median is taken over. */
const MEDIAN_WINDOW = 255;

const stopped = (): AbortError => new AbortError("localProcess was stopped: stopEvent was set");

/** Runs jobs on a fixed number of long-lived workers. See the module comment. */
export class WorkerPool {
  readonly #size: number;
  readonly #transport: PoolTransport;
  readonly #stop: PoolStopEvent;
  readonly #maxRetries: number;
  readonly #options: ResolvedPoolOptions;
  readonly #workers: (WorkerState | undefined)[];
  /** The last {@link MEDIAN_WINDOW} job times (ms), and their median. */
  readonly #jobTimes: number[] = [];
  #medianMs: number | undefined;
  #run: RunState | undefined;
  #generation = 0;
  #nextJobId = 1;
  #serial = 0;
  #starting = 0;
  #closed: AbortError | undefined;
  #killing = false;
  #closing: Promise<void> | undefined;

  /**
   * @param transport - Processes or threads.
   * @param stop - The shared stop event.
   * @param options - The validated pool options (size, retries, timeout, stall notices).
   */
  constructor(transport: PoolTransport, stop: PoolStopEvent, options: ResolvedPoolOptions) {
    this.#size = options.numParallels;
    this.#transport = transport;
    this.#stop = stop;
    this.#maxRetries = options.maxRetries;
    this.#options = options;
    this.#workers = new Array(this.#size).fill(undefined);
  }

  /** The live workers' process ids (for threads, all the parent's). */
  get pids(): number[] {
    return this.#live().map((w) => w.pid);
  }

  /** The live workers' thread ids (0 for processes). */
  get threadIds(): number[] {
    return this.#live().map((w) => w.threadId);
  }

  /** Starts any missing worker and waits until every worker is ready. */
  async start(): Promise<void> {
    this.#throwIfClosed();
    for (let slot = 0; slot < this.#size; slot++) {
      const worker = this.#workers[slot];
      if (worker === undefined || worker.state === "dead") this.#spawn(slot);
    }
    await Promise.all(this.#live().map((w) => w.ready.promise));
    this.#throwIfClosed();
  }

  /**
   * Starts a call: its jobs go, in order, to idle workers, each worker receiving `payload` with
   * its first job of the call. The workers must have been started; the trainer serialises calls.
   */
  run<Up>(plans: readonly PoolJob[], payload: RegionMessage): CollectableRun<Up> {
    this.#throwIfClosed();
    const jobs: RunJob[] = plans.map((plan) => ({ ...plan, attempts: 0, result: deferred() }));
    const run: RunState = {
      generation: ++this.#generation,
      payload,
      jobs,
      queue: [...jobs],
      remaining: jobs.length,
      finished: false,
      failure: deferred<never>(),
      unsubscribe: () => {},
    };
    this.#run = run;
    if (jobs.length === 0) this.#finish(run);
    else {
      run.unsubscribe = this.#stop.onSet(() => this.#fail(run, stopped()));
      this.#updateRefs();
      this.#dispatch();
    }
    return {
      jobs: jobs.map((job) => ({
        cid: job.cid,
        index: job.index,
        result: job.result.promise as Promise<Up>,
      })),
      failure: run.failure.promise,
      cancel: (error) => this.#fail(run, error),
    };
  }

  /**
   * Shuts the pool down: rejects a call in progress with an {@link AbortError}, asks idle workers
   * to exit, kills busy ones, and waits for every exit (killing stragglers after `graceMs`).
   * Idempotent.
   */
  close(graceMs = 5000): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed ??= new AbortError(`${this.#transport.name} was shut down`);
    if (this.#run !== undefined) this.#fail(this.#run, this.#closed);
    const live = this.#live();
    for (const worker of live) {
      // Hold the event loop until the exits are seen, so `await shutdown()` returns.
      worker.handle.ref(true);
      if (worker.state === "idle") worker.handle.post({ type: "exit" });
      else worker.handle.kill();
    }
    this.#closing = (async () => {
      const exits = Promise.all(live.map((w) => w.exited.promise));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([exits, grace]);
      clearTimeout(timer);
      for (const worker of this.#live()) worker.handle.kill();
      await exits;
    })();
    return this.#closing;
  }

  /**
   * Kills every worker at once (a signal reached the parent), then rejects a call in progress
   * with an {@link AbortError} naming the reason and the signal: only once every worker has
   * exited, so that a caller who exits on that rejection leaves no worker behind.
   */
  async killNow(reason: string, signal?: InterruptSignal): Promise<void> {
    this.#closed ??= new AbortError(reason, signal !== undefined ? { signal } : {});
    this.#killing = true;
    const live = this.#live();
    for (const worker of live) worker.handle.kill();
    await Promise.all(live.map((w) => w.exited.promise));
    if (this.#run !== undefined) this.#fail(this.#run, this.#closed);
  }

  #throwIfClosed(): void {
    if (this.#closed !== undefined)
      throw new AbortError(this.#closed.message, { cause: this.#closed });
  }

  #live(): WorkerState[] {
    return this.#workers.filter((w): w is WorkerState => w !== undefined && w.state !== "dead");
  }

  #updateRefs(): void {
    const active = this.#starting > 0 || (this.#run !== undefined && !this.#run.finished);
    for (const worker of this.#live()) worker.handle.ref(active);
  }

  #spawn(slot: number): WorkerState {
    const info: WorkerInfo = { serial: this.#serial++ };
    const ready = deferred<void>();
    const exited = deferred<void>();
    let worker: WorkerState | undefined;
    const events: WorkerEvents = {
      message: (value) => {
        const message = parseWorkerMessage(value);
        if (worker !== undefined && message !== undefined) this.#onMessage(worker, message);
      },
      exit: (code, signal) => {
        if (worker !== undefined) this.#onExit(worker, code, signal);
      },
      error: (error) => {
        if (worker !== undefined) worker.lastError = error;
      },
    };
    let handle: SpawnedWorker;
    try {
      handle = this.#transport.spawn(info, events);
    } catch (cause) {
      const message = `${this.#transport.name} could not start a worker`;
      throw new BlazeFLError("ERR_WORKER_EXIT", message, { cause });
    }
    const ids = { slot, handle, state: "starting" as const, pid: 0, threadId: 0 };
    const rest = {
      payloadGeneration: -1,
      job: undefined,
      timedOut: false,
      ready,
      exited,
      lastError: undefined,
    };
    const started: WorkerState = Object.assign(info, ids, rest);
    worker = started;
    this.#workers[slot] = started;
    this.#starting++;
    this.#updateRefs();
    return started;
  }

  #startedOrFailed(): void {
    this.#starting--;
    this.#updateRefs();
  }

  #onMessage(worker: WorkerState, message: WorkerMessage): void {
    if (message.type === "ready" || message.type === "init-error") {
      if (worker.state !== "starting") return;
      if (message.type === "ready") {
        worker.pid = message.pid;
        worker.threadId = message.threadId;
        worker.state = "idle";
        this.#startedOrFailed();
        worker.ready.resolve();
        this.#dispatch();
        return;
      }
      const { option, expected } = message.error;
      const error = new OptionsError(
        option ?? "workerModule",
        option === "workerExport" ? this.#transport.exportName : this.#transport.moduleUrl,
        expected ??
          "a module that exports the trainer class with a static worker(), importable in a worker",
        { cause: deserializeError(message.error) },
      );
      this.#retire(worker);
      worker.handle.kill();
      worker.ready.reject(error);
      if (this.#run !== undefined) this.#fail(this.#run, error);
      return;
    }
    const current = worker.job;
    if (current === undefined || current.message.jobId !== message.jobId || worker.timedOut) return;
    this.#endJob(worker);
    worker.state = "idle";
    const { job, run } = current;
    if (run.finished) {
      this.#dispatch();
      return;
    }
    if (message.type === "job-error") {
      const cause = deserializeError(message.error);
      const where = worker.threadId !== 0 ? `thread ${worker.threadId}` : `pid ${worker.pid}`;
      this.#fail(
        run,
        message.error.code === "ERR_SHARED_MEMORY"
          ? new SharedMemoryError(`Client ${job.cid}: ${message.error.message}`, { cause })
          : new WorkerError(
              job.cid,
              `Client ${job.cid} failed in its worker (${where}): ${message.error.message}`,
              { cause },
            ),
      );
      return;
    }
    if (this.#stop.isSet()) {
      this.#fail(run, stopped());
      return;
    }
    this.#recordJobTime(performance.now() - current.startedAt);
    // The worker gets its next job before this result is read: with two result slots per
    // worker (processes), it writes the next result while the parent reads this one.
    this.#dispatch();
    if (run.finished) return;
    try {
      job.result.resolve(this.#transport.acceptResult(message, current.message, worker));
    } catch (error) {
      this.#fail(run, error);
      return;
    }
    run.remaining--;
    if (run.remaining === 0) this.#finish(run);
  }

  #retire(worker: WorkerState): void {
    if (worker.state === "dead") return;
    if (worker.state === "starting") this.#startedOrFailed();
    worker.state = "dead";
    this.#transport.released(worker);
  }

  #onExit(worker: WorkerState, code: number | null, signal: string | null): void {
    if (worker.state === "dead") {
      // Retired already (init error): nothing ran on it and nothing replaces it.
      worker.exited.resolve();
      return;
    }
    const wasStarting = worker.state === "starting";
    this.#retire(worker);
    worker.exited.resolve();
    const how = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
    const cause = worker.lastError !== undefined ? { cause: worker.lastError } : {};
    if (wasStarting)
      worker.ready.reject(
        this.#closed ??
          new BlazeFLError(
            "ERR_WORKER_EXIT",
            `A ${this.#transport.name} worker exited (${how}) before it was ready`,
            cause,
          ),
      );
    const lost = this.#endJob(worker);
    const run = this.#run;
    if (run === undefined || run.finished) return;
    if (this.#closed !== undefined) {
      if (!this.#killing) this.#fail(run, this.#closed);
      return;
    }
    if (wasStarting) {
      worker.ready.promise.catch((error: unknown) => this.#fail(run, error));
      return;
    }
    if (lost !== undefined && lost.run === run) {
      lost.job.attempts++;
      if (lost.job.attempts > this.#maxRetries) {
        const timeout = this.#options.clientTimeoutMs;
        this.#fail(
          run,
          worker.timedOut && timeout !== undefined
            ? new WorkerTimeoutError(lost.job.cid, timeout / 1000, code, signal, cause)
            : new WorkerExitError(lost.job.cid, code, signal, cause),
        );
        return;
      }
      run.queue.unshift(lost.job);
    }
    try {
      this.#spawn(worker.slot).ready.promise.catch((error: unknown) => {
        if (this.#run === run) this.#fail(run, error);
      });
    } catch (error) {
      this.#fail(run, error);
    }
  }

  #dispatch(): void {
    const run = this.#run;
    if (run === undefined || run.finished) return;
    for (const worker of this.#workers) {
      if (run.queue.length === 0) return;
      if (worker === undefined || worker.state !== "idle") continue;
      const job = run.queue.shift() as RunJob;
      let message: JobMessage;
      try {
        message = {
          type: "job",
          jobId: this.#nextJobId++,
          generation: run.generation,
          cid: job.cid,
          device: job.device,
          config: job.config,
          ...(worker.payloadGeneration !== run.generation ? { payload: run.payload } : {}),
          ...(job.template !== undefined ? { template: job.template } : {}),
          ...this.#transport.resultSlot(job, worker),
        };
        worker.handle.post(message);
      } catch (error) {
        // Nothing was sent: the message could not be cloned (a function in the config, say).
        this.#fail(
          run,
          error instanceof BlazeFLError
            ? error
            : new OptionsError(
                `getClientConfig(${job.cid})`,
                job.config,
                "structured-cloneable data (the config, and the payload's fields other than typed arrays, must survive postMessage)",
                { cause: error },
              ),
        );
        return;
      }
      worker.payloadGeneration = run.generation;
      worker.state = "busy";
      this.#watch(worker, { job, run, message });
    }
  }

  /** Starts a job's clock, its timeout and its stall timer. */
  #watch(worker: WorkerState, sent: Pick<BusyJob, "job" | "run" | "message">): void {
    const busy: BusyJob = {
      ...sent,
      startedAt: performance.now(),
      stallTimer: undefined,
      stalled: false,
      timeoutTimer: undefined,
    };
    worker.job = busy;
    const timeout = this.#options.clientTimeoutMs;
    if (timeout !== undefined)
      busy.timeoutTimer = setTimeout(() => {
        if (worker.job !== busy) return;
        // A death like any other from here on: #onExit replaces the worker and retries.
        worker.timedOut = true;
        worker.handle.kill();
      }, timeout).unref();
    this.#armStall(worker);
  }

  /** (Re)arms the stall timer of `worker`'s job for the current median, if a notice is due. */
  #armStall(worker: WorkerState): void {
    const busy = worker.job;
    const onStall = this.#options.onStall;
    const median = this.#medianMs;
    if (busy === undefined || busy.stalled || onStall === undefined || median === undefined) return;
    clearTimeout(busy.stallTimer);
    const after = Math.max(this.#options.stallFactor * median, this.#options.minStallMs);
    busy.stallTimer = setTimeout(
      () => {
        if (worker.job !== busy || busy.run.finished) return;
        // Timers may fire a little early by this clock.
        if (performance.now() < busy.startedAt + after) return this.#armStall(worker);
        busy.stalled = true;
        try {
          onStall({
            cid: busy.job.cid,
            runningSeconds: (performance.now() - busy.startedAt) / 1000,
            medianSeconds: median / 1000,
            pid: worker.pid,
            threadId: worker.threadId,
          });
        } catch (error) {
          this.#fail(busy.run, error);
        }
      },
      Math.max(0, busy.startedAt + after - performance.now()),
    ).unref();
  }

  /** Detaches `worker`'s job (result, error or death) and stops its timers. */
  #endJob(worker: WorkerState): BusyJob | undefined {
    const busy = worker.job;
    worker.job = undefined;
    if (busy !== undefined) {
      clearTimeout(busy.stallTimer);
      clearTimeout(busy.timeoutTimer);
    }
    return busy;
  }

  /** Adds a finished job's time to the median, and re-arms the stall timers for it. */
  #recordJobTime(ms: number): void {
    const times = this.#jobTimes;
    times.push(ms);
    if (times.length > MEDIAN_WINDOW) times.shift();
    const sorted = [...times].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    this.#medianMs =
      sorted.length % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    for (const other of this.#workers) if (other !== undefined) this.#armStall(other);
  }

  #fail(run: RunState, error: unknown): void {
    if (run.finished) return;
    run.queue = [];
    this.#stop.cancelGeneration(run.generation);
    run.failure.reject(error);
    for (const job of run.jobs) job.result.reject(error);
    this.#finish(run);
  }

  #finish(run: RunState): void {
    run.finished = true;
    run.unsubscribe();
    if (this.#run === run) this.#run = undefined;
    this.#updateRefs();
  }
}
