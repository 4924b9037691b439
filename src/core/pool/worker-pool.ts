/**
 * The scheduler under both pool trainers. It knows workers only through a {@link Transport} and
 * owns the rules every pool keeps:
 * - workers live across calls; a call's jobs go, in `cidList` order, to idle workers, and when
 *   jobs are short (median under {@link PIPELINE_BELOW_MS}) each busy worker is also sent its
 *   next job, so that it starts it without waiting for the parent's reply;
 * - the first failure (user exception, retries spent, stop event) rejects the call at once and
 *   cancels its other jobs (their workers see `stopEvent.isSet()`); the pool stays usable;
 * - a worker that dies is replaced and its client retried up to `maxRetries` times; a job past
 *   `clientTimeout` has its worker killed, which is such a death; one past `stallFactor` x the
 *   median job time is reported once to `onStall`;
 * - workers hold the event loop open only while a call or a start-up is in progress.
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
  type InitMessage,
  type JobMessage,
  type ParentMessage,
  parseWorkerMessage,
  type RegionMessage,
  type ResultMessage,
  type SerializedError,
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

/** One client's job (its position in `cidList`, and its plan), made before the call. */
export interface PoolJob {
  readonly cid: number;
  readonly index: number;
  readonly config: unknown;
  readonly device: string;
  /** The result buffer's layout, if the trainer has one. */
  readonly template: RegionMessage | undefined;
}

/** What a worker is told first: where the user's class is (the transport adds its regions). */
export type WorkerInit = Pick<InitMessage, "moduleUrl" | "exportName" | "className" | "explicit">;

/**
 * What differs between a process pool and a thread pool: how workers start and how arrays move.
 * A worker's `serial` is never reused, so a replacement never gets its predecessor's files.
 */
export interface Transport {
  /** The stop flag the workers share. */
  readonly stopEvent: PoolStopEvent;
  /** Before the first worker starts: shared resources (processes: files, signal handlers). */
  open(pool: WorkerPool): void;
  /** Puts a call's payload arrays where every worker reads them. */
  writePayload(plan: SharedPlan<unknown>): RegionMessage;
  /** A call starts: result memory of the previous call may be handed out again. */
  recycle(): void;
  /** Every worker has exited: releases files and memory. */
  close(): void;
  /** Starts a worker; it must send `ready` or `init-error` when loaded. */
  spawn(serial: number, init: WorkerInit, events: WorkerEvents): SpawnedWorker;
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
  readonly unsubscribe: () => void;
}

/** A job sent to a worker, with its clock and its stall and timeout timers once it runs. */
interface BusyJob {
  readonly job: RunJob;
  readonly run: RunState;
  readonly message: JobMessage;
  /** Set by `#watch`, when the worker starts the job. */
  startedAt: number;
  stalled?: boolean;
  stallTimer?: NodeJS.Timeout;
  timeoutTimer?: NodeJS.Timeout;
}

interface WorkerState {
  readonly serial: number;
  readonly handle: SpawnedWorker;
  state: "starting" | "idle" | "busy" | "dead";
  pid: number;
  threadId: number;
  /** The last call whose payload this worker received. */
  payloadGeneration: number;
  job?: BusyJob | undefined;
  /** The job it was sent to run after `job` (pipelining). */
  next?: BusyJob | undefined;
  /** Killed for running past `clientTimeout`: its last words are ignored. */
  timedOut?: boolean;
  readonly ready: Deferred<void>;
  readonly exited: Deferred<void>;
  lastError?: Error;
}

/** How many recent job times the median is taken over: it follows a run's pace. */
const MEDIAN_WINDOW = 255;
/** How long a shutdown waits for idle workers to exit before it kills them. */
const CLOSE_GRACE_MS = 5000;
/**
 * Jobs shorter than this (by the median) are pipelined, which saves a worker the round trip to the
 * parent between jobs (0.5 to 1 ms, a tenth of a small client). Longer jobs are not, so that a
 * queued job never waits behind a long one while another worker idles.
 */
const PIPELINE_BELOW_MS = 50;

/** The first index of ascending `sorted` whose value is not below `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const stopped = (): AbortError => new AbortError("localProcess was stopped: stopEvent was set");

/** Runs jobs on a fixed number of long-lived workers. See the module comment. */
export class WorkerPool {
  readonly #name: string;
  readonly #transport: Transport;
  readonly #options: ResolvedPoolOptions;
  readonly #workers: (WorkerState | undefined)[];
  /** Recent job times, oldest first, and the same sorted (kept so, not re-sorted per job). */
  readonly #jobTimes: number[] = [];
  readonly #sortedTimes: number[] = [];
  #medianMs: number | undefined;
  #init: WorkerInit | undefined;
  #run: RunState | undefined;
  #generation = 0;
  #nextJobId = 1;
  #serial = 0;
  #closed: AbortError | undefined;
  #closing: Promise<void> | undefined;

  /** @param name - The trainer class's name, for messages. */
  constructor(name: string, transport: Transport, options: ResolvedPoolOptions) {
    this.#name = name;
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

  /** Starts any missing worker (finding the class by `found`) and waits until all are ready. */
  async start(found: WorkerExport): Promise<void> {
    this.#throwIfClosed();
    this.#init = { moduleUrl: this.#options.workerModule, ...found };
    for (const [slot, worker] of this.#workers.entries())
      if (worker === undefined || worker.state === "dead") this.#spawn(slot);
    await Promise.all(this.#live().map((w) => w.ready.promise));
    this.#throwIfClosed();
  }

  /** Starts a call on the started workers; the trainer serialises calls. */
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
      unsubscribe: this.#transport.stopEvent.onSet(() => this.#fail(run, stopped())),
    };
    this.#run = run;
    this.#updateRefs();
    if (jobs.length === 0) this.#finish(run);
    else this.#dispatch();
    const handles = jobs.map(({ cid, index, result }) => ({ cid, index, result: result.promise }));
    return {
      jobs: handles as CollectableRun<Up>["jobs"],
      failure: run.failure.promise,
      cancel: (error) => this.#fail(run, error),
    };
  }

  /**
   * Shuts the pool down (idempotent): asks idle workers to exit, kills busy ones (and stragglers
   * after {@link CLOSE_GRACE_MS}), then rejects a call in progress with an {@link AbortError}.
   */
  close(): Promise<void> {
    this.#closing ??= this.#end(new AbortError(`${this.#name} was shut down`), false);
    return this.#closing;
  }

  /** Kills every worker at once (a signal reached the parent); a call in progress then rejects. */
  killNow(reason: string, signal?: InterruptSignal): Promise<void> {
    return this.#end(new AbortError(reason, signal !== undefined ? { signal } : {}), true);
  }

  /**
   * Ends every worker. The call in progress rejects only once every worker has exited, so that a
   * caller who exits on that rejection leaves no worker behind.
   */
  async #end(reason: AbortError, now: boolean): Promise<void> {
    this.#closed ??= reason;
    const live = this.#live();
    for (const worker of live) {
      // Hold the event loop until the exits are seen, so that the caller's await returns.
      worker.handle.ref(true);
      if (worker.state === "idle" && !now) worker.handle.post({ type: "exit" });
      else worker.handle.kill();
    }
    const exits = Promise.all(live.map((w) => w.exited.promise));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exits, new Promise((done) => (timer = setTimeout(done, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    for (const worker of live) worker.handle.kill();
    await exits;
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
    const active = this.#run !== undefined || live.some((w) => w.state === "starting");
    for (const worker of live) worker.handle.ref(active);
  }

  #spawn(slot: number): WorkerState {
    const serial = this.#serial++;
    let worker: WorkerState | undefined;
    let handle: SpawnedWorker;
    try {
      handle = this.#transport.spawn(serial, this.#init as WorkerInit, {
        message: (value) => {
          const message = parseWorkerMessage(value);
          if (worker !== undefined && message !== undefined) this.#onMessage(worker, message);
        },
        exit: (code, signal) => worker !== undefined && this.#onExit(worker, slot, code, signal),
        error: (error) => {
          if (worker !== undefined) worker.lastError = error;
        },
      });
    } catch (cause) {
      throw new BlazeFLError("ERR_WORKER_EXIT", `${this.#name} could not start a worker`, {
        cause,
      });
    }
    const ids = { serial, handle, pid: 0, threadId: 0, payloadGeneration: -1 };
    worker = { ...ids, state: "starting", ready: deferred(), exited: deferred() };
    this.#workers[slot] = worker;
    this.#updateRefs();
    return worker;
  }

  #onMessage(worker: WorkerState, message: WorkerMessage): void {
    if (message.type === "ready" || message.type === "init-error") {
      if (worker.state !== "starting") return;
      if (message.type === "init-error") this.#initFailed(worker, message.error);
      else {
        worker.pid = message.pid;
        worker.threadId = message.threadId;
        worker.state = "idle";
        this.#updateRefs();
        worker.ready.resolve();
        this.#dispatch();
      }
      return;
    }
    const busy = worker.job;
    if (busy === undefined || busy.message.jobId !== message.jobId || worker.timedOut) return;
    const next = this.#endJob(worker);
    if (next !== undefined) this.#watch(worker, next);
    else worker.state = "idle";
    const { job, run } = busy;
    if (run.finished) this.#dispatch();
    else if (message.type === "result") this.#accept(worker, busy, message);
    else {
      const { code, message: text } = message.error;
      const cause = deserializeError(message.error);
      const where = worker.threadId !== 0 ? `thread ${worker.threadId}` : `pid ${worker.pid}`;
      this.#fail(
        run,
        code === "ERR_SHARED_MEMORY"
          ? new SharedMemoryError(`Client ${job.cid}: ${text}`, { cause })
          : new WorkerError(job.cid, `Client ${job.cid} failed in its worker (${where}): ${text}`, {
              cause,
            }),
      );
    }
  }

  /** The worker could not load the user's class: an {@link OptionsError} naming the option. */
  #initFailed(worker: WorkerState, error: SerializedError): void {
    const { option = "workerModule", expected } = error;
    const failure = new OptionsError(
      option,
      option === "workerExport" ? this.#options.workerExport : this.#options.workerModule,
      expected ??
        "a module that exports the trainer class with a static worker(), importable in a worker",
      { cause: deserializeError(error) },
    );
    this.#retire(worker);
    worker.handle.kill();
    worker.ready.reject(failure);
    if (this.#run !== undefined) this.#fail(this.#run, failure);
  }

  #accept(worker: WorkerState, busy: BusyJob, message: ResultMessage): void {
    const { job, run } = busy;
    if (this.#transport.stopEvent.isSet()) {
      this.#fail(run, stopped());
      return;
    }
    this.#recordJobTime(performance.now() - busy.startedAt);
    // The worker gets its next job before this result is read (processes: it writes the next
    // result into another of its files meanwhile).
    this.#dispatch();
    if (run.finished) return;
    try {
      job.result.resolve(this.#transport.acceptResult(message, busy.message, worker.serial));
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

  #onExit(worker: WorkerState, slot: number, code: number | null, signal: string | null): void {
    const { state } = worker;
    this.#retire(worker);
    worker.exited.resolve();
    if (state === "dead") return; // an init error retired it: nothing ran, nothing replaces it
    const how = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
    const cause = worker.lastError !== undefined ? { cause: worker.lastError } : {};
    if (state === "starting") {
      // It ran no job: `start()`, or the call that replaced a worker, hears of it through `ready`.
      const early = `A ${this.#name} worker exited (${how}) before it was ready`;
      worker.ready.reject(this.#closed ?? new BlazeFLError("ERR_WORKER_EXIT", early, cause));
      return;
    }
    const lost = worker.job;
    const queued = this.#endJob(worker);
    const run = this.#run;
    // Closing: the call is rejected once every worker has exited.
    if (run === undefined || run.finished || this.#closed !== undefined) return;
    if (lost?.run === run && ++lost.job.attempts > this.#options.maxRetries) {
      const timeout = this.#options.clientTimeoutMs;
      const { cid } = lost.job;
      this.#fail(
        run,
        worker.timedOut === true && timeout !== undefined
          ? new WorkerTimeoutError(cid, timeout / 1000, code, signal, cause)
          : new WorkerExitError(cid, code, signal, cause),
      );
      return;
    }
    // Both go back in order; only the job that was running counts an attempt.
    if (queued?.run === run) run.queue.unshift(queued.job);
    if (lost?.run === run) run.queue.unshift(lost.job);
    try {
      this.#spawn(slot).ready.promise.catch(
        (e: unknown) => this.#run === run && this.#fail(run, e),
      );
    } catch (error) {
      this.#fail(run, error);
    }
  }

  #dispatch(): void {
    const run = this.#run;
    if (run === undefined) return;
    // A failed send fails the call, which empties the queue.
    for (const worker of this.#workers)
      if (run.queue.length > 0 && worker?.state === "idle") this.#send(worker, run, false);
    const median = this.#medianMs;
    if (run.queue.length === 0 || median === undefined || median >= PIPELINE_BELOW_MS) return;
    // Queue behind the jobs that started first: they are likely to end first.
    const busy = this.#workers
      .filter(
        (w): w is WorkerState => w?.state === "busy" && w.next === undefined && w.job?.run === run,
      )
      .sort((a, b) => (a.job as BusyJob).startedAt - (b.job as BusyJob).startedAt);
    for (const worker of busy) if (run.queue.length > 0) this.#send(worker, run, true);
  }

  /** Sends `worker` the queue's first job, to run now or (`next`) after its current one. */
  #send(worker: WorkerState, run: RunState, next: boolean): void {
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
      const expected =
        "structured-cloneable data (the config, and the payload's fields other than typed arrays, must survive postMessage)";
      const option = `getClientConfig(${job.cid})`;
      this.#fail(
        run,
        error instanceof BlazeFLError
          ? error
          : new OptionsError(option, job.config, expected, { cause: error }),
      );
      return;
    }
    worker.payloadGeneration = run.generation;
    const busy = { job, run, message, startedAt: 0 };
    if (next) worker.next = busy;
    else this.#watch(worker, busy);
  }

  /**
   * Runs `busy` on `worker`: starts its clock, timeout and stall timer. A job sent next starts
   * only when the one before it ends, since only then does the worker start it.
   */
  #watch(worker: WorkerState, busy: BusyJob): void {
    worker.state = "busy";
    worker.job = busy;
    busy.startedAt = performance.now();
    const timeout = this.#options.clientTimeoutMs;
    if (timeout !== undefined)
      busy.timeoutTimer = setTimeout(() => {
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
    const notice = () => {
      if (busy.run.finished) return;
      // Timers may fire a little early by this clock.
      if (performance.now() < due) return this.#armStall(worker);
      busy.stalled = true;
      const { cid } = busy.job;
      const runningSeconds = (performance.now() - busy.startedAt) / 1000;
      const { pid, threadId } = worker;
      try {
        onStall({ cid, runningSeconds, medianSeconds: median / 1000, pid, threadId });
      } catch (error) {
        this.#fail(busy.run, error);
      }
    };
    busy.stallTimer = setTimeout(notice, Math.max(0, due - performance.now())).unref();
  }

  /** Detaches `worker`'s jobs (on a reply or its death) and returns the one it was sent next. */
  #endJob(worker: WorkerState): BusyJob | undefined {
    const { job, next } = worker;
    worker.job = undefined;
    worker.next = undefined;
    clearTimeout(job?.stallTimer);
    clearTimeout(job?.timeoutTimer);
    return next;
  }

  /** Adds a finished job's time to the median, and re-arms the stall timers for it. */
  #recordJobTime(ms: number): void {
    const sorted = this.#sortedTimes;
    if (this.#jobTimes.push(ms) > MEDIAN_WINDOW)
      sorted.splice(lowerBound(sorted, this.#jobTimes.shift() as number), 1);
    sorted.splice(lowerBound(sorted, ms), 0, ms);
    const mid = sorted.length >> 1;
    const upper = sorted[mid] as number;
    this.#medianMs = sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
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
