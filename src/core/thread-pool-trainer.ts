/**
 * {@link ThreadPoolClientTrainer}: clients trained in parallel on `worker_threads`.
 *
 * @module
 */
import { type ResourceLimits, Worker } from "node:worker_threads";
import { AbortError, OptionsError } from "./errors.js";
import { BufferArena } from "./pool/buffer-arena.js";
import {
  type EngineJob,
  PoolEngine,
  type SpawnedWorker,
  type WorkerEvents,
  type WorkerInfo,
} from "./pool/pool-engine.js";
import type { JobMessage, RegionMessage, ResultMessage } from "./pool/protocol.js";
import { ThreadStopEvent } from "./pool/stop-flags.js";
import { type ClientPlan, ClientTrainerBase } from "./pool/trainer-base.js";
import {
  type PoolClientTrainerOptions,
  type ResolvedPoolOptions,
  resolvePoolOptions,
  type ThreadWorkerContext,
} from "./pool/trainer-options.js";
import {
  entryUrl,
  resolveWorkerExport,
  THREAD_BOOTSTRAP,
  tsxApiUrl,
  type WorkerExport,
} from "./pool/worker-module.js";
import { isLoadingWorkerModule, parkMainCode } from "./pool/worker-runtime.js";
import { reconstructSharedMemory, replaceWithHandles, writePlacements } from "./shared-memory.js";
import type { StopEvent } from "./stop-event.js";

/** Options of {@link ThreadPoolClientTrainer}. */
export interface ThreadPoolClientTrainerOptions extends PoolClientTrainerOptions {
  /**
   * Modules each worker thread imports before `workerModule` (plain JavaScript, since loaders are
   * not active yet). Use it to register a TypeScript loader other than tsx; under tsx the trainer
   * registers tsx in each thread itself, because Node 20 threads do not inherit `--import` hooks.
   */
  readonly preload?: readonly (string | URL)[];
  /** V8 heap limits of each worker thread (see `worker_threads.ResourceLimits`). */
  readonly resourceLimits?: ResourceLimits;
}

interface ThreadJobData {
  readonly template: RegionMessage | undefined;
}

/**
 * Trains clients in parallel on `numParallels` worker threads, kept alive across calls
 * (BlazeFL's `ThreadPoolClientTrainer`).
 *
 * Data movement is zero-copy: each call's payload arrays are copied once into a
 * SharedArrayBuffer that every thread views; each client's result is written into a shared slot
 * (laid out by {@link ClientTrainerBase.prepareUplinkPackageBuffer}) that the parent views; only
 * receipts are posted. The stop event is an Atomics flag, seen by busy threads.
 *
 * Worker code: threads do not share the parent's objects, so the training function is the
 * subclass's **static** `worker(cid, device, payload, stopEvent, { config, shmBuffer })`, and the
 * subclass must be exported from a module the threads can import: pass that module's
 * `import.meta.url` as `workerModule` (the export is found by the class's name, or by
 * `workerExport`). One file may hold the subclass and the main script, top-level `await`
 * included: in a thread that main code runs until its first pool call, which never returns
 * there; guard it with `if (!isPoolWorker())` to skip it in threads.
 *
 * Results through `shmBuffer`: return the buffer's own arrays, or (BlazeFL's idiom) write a
 * field into `shmBuffer` and return it as `new SHMHandle()` / `IN_SHM_BUFFER`.
 *
 * Faults: an exception in `worker` rejects the call with a `WorkerError` naming the cid (the
 * original error is its `cause`), and the pool stays usable. A thread that dies (`process.exit`,
 * out of memory) is replaced and its client retried up to `maxRetries` times, then the call
 * rejects with a `WorkerExitError`. Call {@link ThreadPoolClientTrainer.shutdown} (or use
 * `await using`) when done; idle threads never keep the process alive.
 *
 * One training function for all trainers: see `ClientTask`.
 *
 * @example
 * ```ts
 * // my-trainer.ts
 * export class MyTrainer extends ThreadPoolClientTrainer<Up, Down, Config> {
 *   constructor(numParallels: number) {
 *     super({ numParallels, workerModule: import.meta.url });
 *   }
 *   getClientConfig(cid: number): Config { return { cid, lr: 0.01 }; }
 *   static override worker(cid: number, device: string, payload: Down, stopEvent: StopEvent,
 *       { config, shmBuffer }: ThreadWorkerContext<Up, Config>): Up { ... }
 * }
 * // main.ts
 * await using trainer = new MyTrainer(4);
 * await trainer.localProcess(payload, [0, 1, 2]);
 * const packages = trainer.uplinkPackage();
 * ```
 *
 * @typeParam Up - The uplink package (client to server).
 * @typeParam Down - The downlink package (server to client).
 * @typeParam Config - What `getClientConfig(cid)` returns.
 */
export abstract class ThreadPoolClientTrainer<
  Up,
  Down,
  Config = undefined,
> extends ClientTrainerBase<Up, Down, Config> {
  readonly numParallels: number;
  readonly stopEvent: ThreadStopEvent = new ThreadStopEvent();
  /** How many times a client whose thread died is retried. */
  readonly maxRetries: number;
  readonly #options: ResolvedPoolOptions;
  readonly #preload: string[];
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #engine: PoolEngine<Up>;
  readonly #arena: BufferArena<SharedArrayBuffer>;
  #workerExport: WorkerExport | undefined;
  #starting: Promise<void> | undefined;
  #shutdown: Promise<void> | undefined;
  #call: { payload: RegionMessage; plans: Map<number, ClientPlan<Config>> } | undefined;
  #resultHint = 0;
  #payloadBuffer: SharedArrayBuffer | undefined;

  /** @param options - See {@link ThreadPoolClientTrainerOptions}. */
  constructor(options: ThreadPoolClientTrainerOptions) {
    super(options);
    this.#options = resolvePoolOptions(options);
    this.numParallels = this.#options.numParallels;
    this.maxRetries = this.#options.maxRetries;
    const preload = options.preload ?? [];
    if (!Array.isArray(preload))
      throw new OptionsError("preload", preload, "an array of module URLs");
    this.#preload = preload.map((url, i) => {
      if (url instanceof URL) return url.href;
      if (typeof url === "string" && /^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
      throw new OptionsError(`preload[${i}]`, url, "a module URL");
    });
    this.#resourceLimits = options.resourceLimits;
    this.#arena = new BufferArena(
      (n) => new SharedArrayBuffer(n),
      this.#options.reuseResultBuffers,
    );
    this.#engine = new PoolEngine<Up>(
      this.numParallels,
      {
        name: new.target.name,
        moduleUrl: this.#options.workerModule,
        exportName: this.#options.workerExport,
        spawn: (info, events) => this.#spawn(info, events),
        buildJob: (job, worker, jobId) => this.#buildJob(job, worker, jobId),
        acceptResult: (job, message) => this.#acceptResult(job, message),
        released: () => {},
      },
      this.stopEvent,
      this.maxRetries,
    );
  }

  /**
   * Runs inside a worker thread: trains client `cid` and returns its uplink package. Override it
   * (it is static: it cannot see the trainer instance; everything it needs comes in its
   * arguments). Check `stopEvent.isSet()` between units of work and return early when set.
   *
   * @param cid - The client id.
   * @param device - `getClientDevice(cid)`.
   * @param payload - The server's package. Its arrays are views of shared memory that every
   *   thread reads and the next call rewrites: read only, and valid during this call only.
   * @param stopEvent - The shared stop flag.
   * @param context - `config` (`getClientConfig(cid)`) and `shmBuffer` (the result slot).
   */
  static worker(
    cid: number,
    device: string,
    payload: unknown,
    stopEvent: StopEvent,
    context: ThreadWorkerContext<unknown, unknown>,
  ): unknown {
    void [cid, device, payload, stopEvent, context];
    throw new TypeError("ThreadPoolClientTrainer subclasses must override static worker()");
  }

  /** The worker threads' ids (in slot order), once started. */
  get workerThreadIds(): number[] {
    return this.#engine.threadIds;
  }

  /** Starts the worker threads now instead of at the first `localProcess` call. */
  start(): Promise<void> {
    if (isLoadingWorkerModule()) return parkMainCode(this.constructor);
    if (this.#shutdown !== undefined)
      return Promise.reject(new AbortError(`${this.constructor.name} was shut down`));
    this.#starting ??= this.#startOnce().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting.then(() => this.#engine.start());
  }

  async #startOnce(): Promise<void> {
    const cls = this.constructor as typeof ThreadPoolClientTrainer;
    this.#workerExport = await resolveWorkerExport(
      "ThreadPoolClientTrainer",
      cls,
      ThreadPoolClientTrainer.worker,
      this.#options.workerExport,
    );
  }

  override async localProcess(payload: Down, cidList: readonly number[]): Promise<void> {
    if (isLoadingWorkerModule()) return parkMainCode(this.constructor);
    return this.exclusive(async () => {
      const plans = this.planClients(cidList);
      if (plans.length === 0) return;
      await this.start();
      this.#arena.recycle();
      const layout = replaceWithHandles(payload, { rootName: "payload" });
      const byteLength = layout.regionByteLengths[0] ?? 0;
      // One buffer, rewritten each call: workers read a call's payload only during that call.
      if (this.#payloadBuffer === undefined || this.#payloadBuffer.byteLength < byteLength)
        this.#payloadBuffer = new SharedArrayBuffer(byteLength);
      writePlacements(layout.placements, [this.#payloadBuffer]);
      this.#call = {
        payload: { receipt: layout.receipt, byteLength, buffer: this.#payloadBuffer },
        plans: new Map(plans.map((plan) => [plan.cid, plan])),
      };
      try {
        const run = this.#engine.run(cidList);
        const results = await this.collect(run);
        this.store(cidList, results);
      } finally {
        this.#call = undefined;
      }
    });
  }

  /** Ends every worker thread; idempotent. A call in progress rejects with an `AbortError`. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#engine.close().then(() => {
      this.#arena.clear();
      this.#payloadBuffer = undefined;
      this.stopEvent.close();
    });
    return this.#shutdown;
  }

  /** Same as {@link ThreadPoolClientTrainer.shutdown}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #spawn(info: WorkerInfo, events: WorkerEvents): SpawnedWorker {
    const tsxApi = tsxApiUrl();
    const worker = new Worker(THREAD_BOOTSTRAP, {
      eval: true,
      workerData: {
        type: "init",
        kind: "thread",
        moduleUrl: this.#options.workerModule,
        ...this.#workerExport,
        slot: info.slot,
        controlBuffer: this.stopEvent.buffer,
        bootstrap: { tsxApi, preload: this.#preload, entry: entryUrl("thread-worker-entry").href },
      },
      ...(this.#resourceLimits !== undefined ? { resourceLimits: this.#resourceLimits } : {}),
    });
    worker.on("message", (value: unknown) => events.message(value));
    worker.on("error", (error: Error) => events.error(error));
    worker.on("exit", (code: number) => events.exit(code, null));
    return {
      post: (message) => worker.postMessage(message),
      kill: () => void worker.terminate(),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
  }

  #buildJob(job: EngineJob, worker: WorkerInfo, jobId: number): JobMessage {
    const call = this.#call;
    const plan = call?.plans.get(job.cid);
    if (call === undefined || plan === undefined)
      throw new AbortError("No localProcess call is in progress");
    let data = job.data as ThreadJobData | undefined;
    if (data === undefined) {
      data = { template: this.resultLayout(job.cid) };
      job.data = data;
    }
    const slotBytes = data.template?.byteLength ?? (this.#arena.reuses ? this.#resultHint : 0);
    const slot = slotBytes > 0 ? this.#arena.acquire(slotBytes) : undefined;
    const sendPayload = worker.payloadGeneration !== job.generation;
    worker.payloadGeneration = job.generation;
    return {
      type: "job",
      jobId,
      generation: job.generation,
      cid: job.cid,
      device: plan.device,
      config: plan.config,
      ...(sendPayload ? { payload: call.payload } : {}),
      ...(data.template !== undefined ? { template: data.template } : {}),
      ...(slot !== undefined ? { slotBuffer: slot.buffer, zeroFill: slot.recycled } : {}),
    };
  }

  #acceptResult(_job: EngineJob, message: ResultMessage): Up {
    const slot = message.slotBuffer;
    if (slot !== undefined) {
      this.#arena.keep(slot);
      this.#resultHint = Math.max(this.#resultHint, message.byteLength);
    }
    return reconstructSharedMemory<Up>(message.receipt, [slot ?? new SharedArrayBuffer(0)], {
      rootName: "result",
    });
  }
}
