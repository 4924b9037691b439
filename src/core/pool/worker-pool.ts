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
import type { SharedPlan } from "../shared-memory.js";
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
import type { WorkerExport } from "./worker-module.js";

/** A started worker as the pool drives it. */
export interface SpawnedWorker {
  /** Sends a message; a closed channel is reported by the `exit` event, not here. */
  post(message: ParentMessage): void;
  /** Ends the worker at once (SIGKILL, `terminate()`). */
  kill(): void;
  /** Lets the worker keep the event loop alive, or stops it from doing so. */
  ref(active: boolean): void;
}

/** What a spawned worker reports: messages (checked by the pool), its end, and its errors. */
export interface WorkerEvents {
  message(value: unknown): void;
  exit(code: number | null, signal: string | null): void;
  error(error: Error): void;
}

/** One client's job: its plan, made by the trainer before the call. */
export interface PoolJob {
  readonly cid: number;
  /** Its position in `cidList`. */
  readonly index: number;
  readonly config: unknown;
  readonly device: string;
  /** The result buffer's layout, if the trainer has one. */
  readonly template: RegionMessage | undefined;
}

/**
 * What differs between a process pool and a thread pool: how workers start, and how arrays move
 * (files on tmpfs, or SharedArrayBuffers). Workers are named by `serial`, which grows with every
 * worker the pool starts, so a replacement never reuses its predecessor's files.
 */
export interface Transport {
  /** The trainer class's name, for messages. */
  readonly name: string;
  /** The `workerModule` URL and the `workerExport` option, for init errors. */
  readonly moduleUrl: string;
  readonly exportName: string | undefined;
  /** The stop flag the workers share. */
  readonly stopEvent: PoolStopEvent;
  /** Before the first worker starts: how workers find the class, and shared resources. */
  open(pool: WorkerPool, workerExport: WorkerExport): void;
  /** Puts a call's payload arrays where every worker reads them. */
  writePayload(plan: SharedPlan<unknown>): RegionMessage;
  /** A call starts: result memory of the previous call may be handed out again. */
  recycle(): void;
  /** Every worker has exited: releases files and memory. */
  close(): void;
  /** Starts a worker; it must send `ready` or `init-error` when loaded. */
  spawn(serial: number, events: WorkerEvents): SpawnedWorker;
  /** The transport's fields of a job's message: where its result goes. */
  resultSlot(job: PoolJob, serial: number): Pick<JobMessage, "slot" | "slotBuffer" | "zeroFill">;
  /** Turns a worker's receipt into the client's package (reads the slot the job was given). */
  acceptResult(message: ResultMessage, sent: JobMessage, serial: number): unknown;
  /** A worker is gone: release what was tied to it. */
  released(serial: number): void;
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
  stalled: boolean;
  stallTimer?: NodeJS.Timeout;
  timeoutTimer?: NodeJS.Timeout;
}

interface WorkerState {
  readonly serial: number;
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

/** How many recent job times the median is taken over: it follows a run's pace. */
const MEDIAN_WINDOW = 255;

const stopped = (): AbortError => new AbortError("localProcess was stopped: stopEvent was set");

/** Runs jobs on a fixed number of long-lived workers. See the module comment. */
export class WorkerPool {
  readonly #transport: Transport;
  readonly #options: ResolvedPoolOptions;
  readonly #workers: (WorkerState | undefined)[];
  readonly #jobTimes: number[] = [];
  #medianMs: number | undefined;
  #run: RunState | undefined;
  #generation = 0;
  #nextJobId = 1;
  #serial = 0;
  #closed: AbortError | undefined;
  #killing = false;
  #closing: Promise<void> | undefined;

  /** @param transport - Processes or threads. @param options - Size, retries, timeout, stall notices. */
  constructor(transport: Transport, options: ResolvedPoolOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#workers = new Array(options.numParallels).fill(undefined);
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
    for (const [slot, worker] of this.#workers.entries())
      if (worker === undefined || worker.state === "dead") this.#spawn(slot);
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
      run.unsubscribe = this.#transport.stopEvent.onSet(() => this.#fail(run, stopped()));
      this.#updateRefs();
      this.#dispatch();
    }
    return {
      jobs: jobs.map(({ cid, index, result }) => ({
        cid,
        index,
        result: result.promise as Promise<Up>,
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
      await Promise.race([exits, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
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
    const live = this.#live();
    const active =
      (this.#run !== undefined && !this.#run.finished) || live.some((w) => w.state === "starting");
    for (const worker of live) worker.handle.ref(active);
  }

  #spawn(slot: number): WorkerState {
    const serial = this.#serial++;
    let worker: WorkerState | undefined;
    let handle: SpawnedWorker;
    try {
      handle = this.#transport.spawn(serial, {
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
      });
    } catch (cause) {
      throw new BlazeFLError(
        "ERR_WORKER_EXIT",
        `${this.#transport.name} could not start a worker`,
        { cause },
      );
    }
    worker = {
      serial,
      slot,
      handle,
      state: "starting",
      pid: 0,
      threadId: 0,
      payloadGeneration: -1,
      job: undefined,
      timedOut: false,
      ready: deferred(),
      exited: deferred(),
      lastError: undefined,
    };
    this.#workers[slot] = worker;
    this.#updateRefs();
    return worker;
  }

  #onMessage(worker: WorkerState, message: WorkerMessage): void {
    if (message.type === "ready" || message.type === "init-error") {
      if (worker.state !== "starting") return;
      if (message.type === "ready") {
        worker.pid = message.pid;
        worker.threadId = message.threadId;
        worker.state = "idle";
        this.#updateRefs();
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
    const busy = worker.job;
    if (busy === undefined || busy.message.jobId !== message.jobId || worker.timedOut) return;
    this.#endJob(worker);
    worker.state = "idle";
    const { job, run } = busy;
    if (run.finished) this.#dispatch();
    else if (message.type === "result") this.#accept(worker, busy, message);
    else {
      const cause = deserializeError(message.error);
      const where = worker.threadId !== 0 ? `thread ${worker.threadId}` : `pid ${worker.pid}`;
      const text = message.error.message;
      this.#fail(
        run,
        message.error.code === "ERR_SHARED_MEMORY"
          ? new SharedMemoryError(`Client ${job.cid}: ${text}`, { cause })
          : new WorkerError(job.cid, `Client ${job.cid} failed in its worker (${where}): ${text}`, {
              cause,
            }),
      );
    }
  }

  #accept(
    worker: WorkerState,
    { job, run, message: sent, startedAt }: BusyJob,
    message: ResultMessage,
  ): void {
    if (this.#transport.stopEvent.isSet()) {
      this.#fail(run, stopped());
      return;
    }
    this.#recordJobTime(performance.now() - startedAt);
    // The worker gets its next job before this result is read: with two result slots per
    // worker (processes), it writes the next result while the parent reads this one.
    this.#dispatch();
    if (run.finished) return;
    try {
      job.result.resolve(this.#transport.acceptResult(message, sent, worker.serial));
    } catch (error) {
      this.#fail(run, error);
      return;
    }
    if (--run.remaining === 0) this.#finish(run);
  }

  #retire(worker: WorkerState): void {
    if (worker.state === "dead") return;
    worker.state = "dead";
    this.#updateRefs();
    this.#transport.released(worker.serial);
  }

  #onExit(worker: WorkerState, code: number | null, signal: string | null): void {
    const wasStarting = worker.state === "starting";
    const retired = worker.state === "dead"; // an init error: nothing ran, nothing replaces it
    this.#retire(worker);
    worker.exited.resolve();
    if (retired) return;
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
      const timeout = this.#options.clientTimeoutMs;
      if (++lost.job.attempts > this.#options.maxRetries) {
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
          ...this.#transport.resultSlot(job, worker.serial),
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
      this.#watch(worker, { job, run, message, startedAt: performance.now(), stalled: false });
    }
  }

  /** Starts a job's timeout and stall timer. */
  #watch(worker: WorkerState, busy: BusyJob): void {
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
    const { onStall, stallFactor, minStallMs } = this.#options;
    const median = this.#medianMs;
    if (busy === undefined || busy.stalled || onStall === undefined || median === undefined) return;
    clearTimeout(busy.stallTimer);
    const due = busy.startedAt + Math.max(stallFactor * median, minStallMs);
    busy.stallTimer = setTimeout(
      () => {
        if (worker.job !== busy || busy.run.finished) return;
        // Timers may fire a little early by this clock.
        if (performance.now() < due) return this.#armStall(worker);
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
      Math.max(0, due - performance.now()),
    ).unref();
  }

  /** Detaches `worker`'s job (result, error or death) and stops its timers. */
  #endJob(worker: WorkerState): BusyJob | undefined {
    const busy = worker.job;
    worker.job = undefined;
    clearTimeout(busy?.stallTimer);
    clearTimeout(busy?.timeoutTimer);
    return busy;
  }

  /** Adds a finished job's time to the median, and re-arms the stall timers for it. */
  #recordJobTime(ms: number): void {
    const times = this.#jobTimes;
    if (times.push(ms) > MEDIAN_WINDOW) times.shift();
    const sorted = [...times].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    this.#medianMs =
      sorted.length % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    for (const worker of this.#workers) if (worker !== undefined) this.#armStall(worker);
  }

  #fail(run: RunState, error: unknown): void {
    if (run.finished) return;
    run.queue = [];
    this.#transport.stopEvent.cancelGeneration(run.generation);
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
