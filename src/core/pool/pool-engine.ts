/**
 * The scheduler shared by the thread and process pools. It knows workers only through a small
 * adapter (spawn, post, kill), and owns the rules every pool keeps:
 * - workers stay alive across calls; a call's jobs go, in `cidList` order, to idle workers;
 * - a job's result settles that job's promise; results are collected in `cidList` order;
 * - the first failure (user exception, lost retries, stop event) rejects the call at once,
 *   cancels its other jobs (their workers see `stopEvent.isSet()`), and leaves the pool usable;
 * - a worker that dies is replaced, and its client retried up to `maxRetries` times;
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
} from "../errors.js";
import {
  deserializeError,
  type JobMessage,
  type ParentMessage,
  parseWorkerMessage,
  type ResultMessage,
} from "./protocol.js";
import type { PoolStopEvent } from "./stop-flags.js";
import type { ClientJob } from "./trainer-options.js";

/** A started worker as the engine drives it. */
export interface SpawnedWorker {
  /** Sends a message; a closed channel is reported by the `exit` event, not here. */
  post(message: ParentMessage): void;
  /** Ends the worker at once (SIGKILL, `terminate()`). */
  kill(): void;
  /** Lets the worker keep the event loop alive. */
  ref(): void;
  /** Stops the worker from keeping the event loop alive. */
  unref(): void;
}

/** What a spawned worker reports. */
export interface WorkerEvents {
  /** A message arrived (parsed and checked by the engine). */
  message(value: unknown): void;
  /** The worker ended, with an exit code or a signal. */
  exit(code: number | null, signal: string | null): void;
  /** The worker reported an error (an uncaught exception in a thread, a failed spawn). */
  error(error: Error): void;
}

/** The engine's view of one worker. */
export interface WorkerInfo {
  /** The pool slot, 0 to numParallels - 1. */
  readonly slot: number;
  /** Increases with every worker the pool starts. */
  readonly serial: number;
  /** The worker's process id (the parent's for threads), once ready. */
  pid: number;
  /** The worker's thread id (0 for processes), once ready. */
  threadId: number;
  /** The last call whose payload this worker received. */
  payloadGeneration: number;
}

/** One client's job inside the engine. */
export interface EngineJob {
  /** The client id. */
  readonly cid: number;
  /** Its position in `cidList`. */
  readonly index: number;
  /** The call it belongs to. */
  readonly generation: number;
  /** Deaths survived so far. */
  attempts: number;
  /** Adapter data kept across retries (e.g. the result template). */
  data: unknown;
}

/** Transport-specific parts of a pool. */
export interface PoolAdapter<Up> {
  /** A name for messages, e.g. "ProcessPoolClientTrainer". */
  readonly name: string;
  /** The `workerModule` URL, for init errors. */
  readonly moduleUrl: string;
  /** The `workerExport` option, for init errors. */
  readonly exportName: string | undefined;
  /** Starts a worker for `info.slot`; it must send `ready` or `init-error` when loaded. */
  spawn(info: WorkerInfo, events: WorkerEvents): SpawnedWorker;
  /** The message that runs `job` on `worker`. */
  buildJob(job: EngineJob, worker: WorkerInfo, jobId: number): JobMessage;
  /** Turns a worker's receipt into the client's package (reads its slot). */
  acceptResult(job: EngineJob, message: ResultMessage, worker: WorkerInfo): Up;
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

interface WorkerState extends WorkerInfo {
  readonly handle: SpawnedWorker;
  state: "starting" | "idle" | "busy" | "dead";
  job: (EngineJob & { jobId: number; run: RunState }) | undefined;
  readonly ready: Deferred<void>;
  readonly exited: Deferred<void>;
  lastError: Error | undefined;
}

interface RunState {
  readonly generation: number;
  readonly jobs: (EngineJob & { readonly result: Deferred<unknown> })[];
  queue: (EngineJob & { readonly result: Deferred<unknown> })[];
  remaining: number;
  finished: boolean;
  readonly failure: Deferred<never>;
  unsubscribe: () => void;
}

/** A call in progress: its job handles, and promises for its end. */
export interface PoolRun<Up> {
  /** The jobs, in `cidList` order. */
  readonly jobs: readonly ClientJob<Up>[];
  /** Rejects with the call's first failure; never resolves. */
  readonly failure: Promise<never>;
  /** Cancels the call (e.g. when the progress hook threw). */
  cancel(error: unknown): void;
}

/** Describes an exit for messages. */
export function describeExit(code: number | null, signal: string | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
}

/** Runs jobs on a fixed number of long-lived workers. See the module comment. */
export class PoolEngine<Up> {
  readonly #size: number;
  readonly #adapter: PoolAdapter<Up>;
  readonly #stop: PoolStopEvent;
  readonly #maxRetries: number;
  readonly #workers: (WorkerState | undefined)[];
  #run: RunState | undefined;
  #generation = 0;
  #nextJobId = 1;
  #serial = 0;
  #starting = 0;
  #closed: AbortError | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param size - The number of workers.
   * @param adapter - The transport.
   * @param stop - The shared stop event.
   * @param maxRetries - Retries of a client whose worker died.
   */
  constructor(size: number, adapter: PoolAdapter<Up>, stop: PoolStopEvent, maxRetries: number) {
    this.#size = size;
    this.#adapter = adapter;
    this.#stop = stop;
    this.#maxRetries = maxRetries;
    this.#workers = new Array(size).fill(undefined);
  }

  /** The live workers' process ids (for threads, all the parent's). */
  get pids(): number[] {
    return this.#live().map((w) => w.pid);
  }

  /** The live workers' thread ids (0 for processes). */
  get threadIds(): number[] {
    return this.#live().map((w) => w.threadId);
  }

  /** True once {@link PoolEngine.close} or {@link PoolEngine.killNow} ran. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** The number of the last call started. */
  get generation(): number {
    return this.#generation;
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
   * Starts a call: one job per cid, dispatched in order to idle workers. The workers must have
   * been started. Only one call runs at a time; the trainer serialises calls.
   */
  run(cids: readonly number[]): PoolRun<Up> {
    this.#throwIfClosed();
    if (this.#run !== undefined)
      this.#fail(this.#run, new AbortError("A newer localProcess call started"));
    const generation = ++this.#generation;
    const failure = deferred<never>();
    const jobs = cids.map((cid, index) => ({
      cid,
      index,
      generation,
      attempts: 0,
      data: undefined as unknown,
      result: deferred<unknown>(),
    }));
    const run: RunState = {
      generation,
      jobs,
      queue: [...jobs],
      remaining: jobs.length,
      finished: false,
      failure,
      unsubscribe: () => {},
    };
    this.#run = run;
    if (jobs.length === 0) this.#finish(run);
    else {
      run.unsubscribe = this.#stop.onSet(() =>
        this.#fail(run, new AbortError("localProcess was stopped: stopEvent was set")),
      );
      this.#updateRefs();
      this.#dispatch();
    }
    return {
      jobs: jobs.map((job) => ({
        cid: job.cid,
        index: job.index,
        result: job.result.promise as Promise<Up>,
      })),
      failure: failure.promise,
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
    this.#closed ??= new AbortError(`${this.#adapter.name} was shut down`);
    if (this.#run !== undefined) this.#fail(this.#run, this.#closed);
    const live = this.#live();
    for (const worker of live) {
      // Hold the event loop until the exits are seen, so `await shutdown()` returns.
      worker.handle.ref();
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
   * Kills every worker at once (a signal reached the parent): a call in progress rejects with
   * an {@link AbortError} naming the reason. Resolves when every worker has exited.
   */
  killNow(reason: string, signal?: InterruptSignal): Promise<void> {
    this.#closed ??= new AbortError(reason, signal !== undefined ? { signal } : {});
    if (this.#run !== undefined) this.#fail(this.#run, this.#closed);
    const live = this.#live();
    for (const worker of live) worker.handle.kill();
    return Promise.all(live.map((w) => w.exited.promise)).then(() => {});
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
    for (const worker of this.#live()) {
      if (active) worker.handle.ref();
      else worker.handle.unref();
    }
  }

  #spawn(slot: number): WorkerState {
    const info: WorkerInfo = {
      slot,
      serial: this.#serial++,
      pid: 0,
      threadId: 0,
      payloadGeneration: -1,
    };
    const ready = deferred<void>();
    const exited = deferred<void>();
    let worker: WorkerState | undefined;
    const events: WorkerEvents = {
      message: (value) => {
        if (worker !== undefined) this.#onMessage(worker, value);
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
      handle = this.#adapter.spawn(info, events);
    } catch (error) {
      const failed = new BlazeFLError(
        "ERR_WORKER_EXIT",
        `${this.#adapter.name} could not start a worker`,
        {
          cause: error,
        },
      );
      ready.reject(failed);
      exited.resolve();
      worker = {
        ...info,
        handle: nullWorker,
        state: "dead",
        job: undefined,
        ready,
        exited,
        lastError: undefined,
      };
      this.#workers[slot] = worker;
      return worker;
    }
    worker = Object.assign(info, {
      handle,
      state: "starting" as const,
      job: undefined,
      ready,
      exited,
      lastError: undefined,
    });
    this.#workers[slot] = worker;
    this.#starting++;
    this.#updateRefs();
    return worker;
  }

  #startedOrFailed(): void {
    this.#starting--;
    this.#updateRefs();
  }

  #onMessage(worker: WorkerState, value: unknown): void {
    const message = parseWorkerMessage(value);
    if (message === undefined) return;
    switch (message.type) {
      case "ready": {
        if (worker.state !== "starting") return;
        worker.pid = message.pid;
        worker.threadId = message.threadId;
        worker.state = "idle";
        this.#startedOrFailed();
        worker.ready.resolve();
        this.#dispatch();
        return;
      }
      case "init-error": {
        if (worker.state !== "starting") return;
        const { option, expected } = message.error;
        const error = new OptionsError(
          option ?? "workerModule",
          option === "workerExport" ? this.#adapter.exportName : this.#adapter.moduleUrl,
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
      case "result":
      case "job-error": {
        const job = worker.job;
        if (job === undefined || job.jobId !== message.jobId) return;
        worker.job = undefined;
        worker.state = "idle";
        const run = job.run;
        if (run.finished) {
          this.#dispatch();
          return;
        }
        if (message.type === "job-error") {
          const cause = deserializeError(message.error);
          const error =
            message.error.code === "ERR_SHARED_MEMORY"
              ? new SharedMemoryError(`Client ${job.cid}: ${message.error.message}`, { cause })
              : new WorkerError(
                  job.cid,
                  `Client ${job.cid} failed in its worker (${worker.threadId !== 0 ? `thread ${worker.threadId}` : `pid ${worker.pid}`}): ${message.error.message}`,
                  { cause },
                );
          this.#fail(run, error);
          return;
        }
        if (this.#stop.isSet()) {
          this.#fail(run, new AbortError("localProcess was stopped: stopEvent was set"));
          return;
        }
        // The worker gets its next job before this result is read: with two result slots per
        // worker (processes), it writes the next result while the parent reads this one.
        this.#dispatch();
        if (run.finished) return;
        let value: unknown;
        try {
          value = this.#adapter.acceptResult(job, message, worker);
        } catch (error) {
          this.#fail(run, error);
          return;
        }
        run.jobs[job.index]?.result.resolve(value);
        run.remaining--;
        if (run.remaining === 0) this.#finish(run);
        return;
      }
    }
  }

  #retire(worker: WorkerState): void {
    if (worker.state === "dead") return;
    if (worker.state === "starting") this.#startedOrFailed();
    worker.state = "dead";
    this.#adapter.released(worker);
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
    const how = describeExit(code, signal);
    if (wasStarting) {
      worker.ready.reject(
        this.#closed ??
          new BlazeFLError(
            "ERR_WORKER_EXIT",
            `A ${this.#adapter.name} worker exited (${how}) before it was ready`,
            worker.lastError !== undefined ? { cause: worker.lastError } : {},
          ),
      );
    }
    const job = worker.job;
    worker.job = undefined;
    const run = this.#run;
    if (run === undefined || run.finished) return;
    if (this.#closed !== undefined) {
      this.#fail(run, this.#closed);
      return;
    }
    if (wasStarting) {
      worker.ready.promise.catch((error: unknown) => this.#fail(run, error));
      return;
    }
    if (job !== undefined && job.run === run) {
      job.attempts++;
      if (job.attempts > this.#maxRetries) {
        this.#fail(
          run,
          new WorkerExitError(
            job.cid,
            code,
            signal,
            worker.lastError !== undefined ? { cause: worker.lastError } : {},
          ),
        );
        return;
      }
      const entry = run.jobs[job.index];
      if (entry !== undefined) run.queue.unshift(entry);
    }
    const replacement = this.#spawn(worker.slot);
    replacement.ready.promise.catch((error: unknown) => {
      if (this.#run === run) this.#fail(run, error);
    });
  }

  #dispatch(): void {
    const run = this.#run;
    if (run === undefined || run.finished) return;
    for (const worker of this.#workers) {
      if (run.queue.length === 0) return;
      if (worker === undefined || worker.state !== "idle") continue;
      const job = run.queue.shift() as RunState["jobs"][number];
      const jobId = this.#nextJobId++;
      let message: JobMessage;
      try {
        message = this.#adapter.buildJob(job, worker, jobId);
      } catch (error) {
        this.#fail(run, error);
        return;
      }
      try {
        worker.handle.post(message);
      } catch (error) {
        // Nothing was sent: the message could not be cloned (a function in the config, say).
        this.#fail(
          run,
          new OptionsError(
            `getClientConfig(${job.cid})`,
            message.config,
            "structured-cloneable data (the config, and the payload's fields other than typed arrays, must survive postMessage)",
            { cause: error },
          ),
        );
        return;
      }
      worker.state = "busy";
      worker.job = Object.assign(job, { jobId, run });
    }
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

const nullWorker: SpawnedWorker = {
  post: () => {},
  kill: () => {},
  ref: () => {},
  unref: () => {},
};
