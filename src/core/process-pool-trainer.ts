/**
 * {@link ProcessPoolClientTrainer}: clients trained in parallel in child processes (the seed
 * class of BlazeFL.ts).
 *
 * @module
 */
import { type ChildProcess, fork } from "node:child_process";
import { closeSync, openSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AbortError, OptionsError } from "./errors.js";
import { BufferArena } from "./pool/buffer-arena.js";
import {
  type EngineJob,
  PoolEngine,
  type SpawnedWorker,
  type WorkerEvents,
  type WorkerInfo,
} from "./pool/pool-engine.js";
import {
  type ProcessPoolResources,
  registerProcessPool,
  unregisterProcessPool,
} from "./pool/process-registry.js";
import type { JobMessage, RegionMessage, ResultMessage } from "./pool/protocol.js";
import { RegionDirectory, readRegionFile, writePlacementsToFile } from "./pool/region-files.js";
import { FileStopEvent } from "./pool/stop-flags.js";
import { type ClientPlan, ClientTrainerBase } from "./pool/trainer-base.js";
import {
  type PoolClientTrainerOptions,
  type ResolvedPoolOptions,
  resolvePoolOptions,
  type WorkerContext,
} from "./pool/trainer-options.js";
import {
  entryUrl,
  inheritedExecArgv,
  resolveWorkerExport,
  type WorkerExport,
} from "./pool/worker-module.js";
import { isLoadingWorkerModule, parkMainCode } from "./pool/worker-runtime.js";
import { reconstructSharedMemory, replaceWithHandles } from "./shared-memory.js";
import type { StopEvent } from "./stop-event.js";

/** Options of {@link ProcessPoolClientTrainer}. */
export interface ProcessPoolClientTrainerOptions extends PoolClientTrainerOptions {
  /**
   * Node flags of the worker processes. By default the parent's `process.execArgv` minus
   * `--eval`, `--test`, `--watch` and `--inspect` flags, so loaders such as `--import tsx` keep
   * working in workers.
   */
  readonly execArgv?: readonly string[];
  /**
   * Where the pool's shared-memory files go (a private directory is made inside).
   * @default "/dev/shm" when writable, else `os.tmpdir()`
   */
  readonly sharedMemoryDir?: string;
}

interface ProcessJobData {
  readonly template: RegionMessage | undefined;
}

/**
 * Trains clients in parallel in `numParallels` child processes (`child_process.fork`), kept
 * alive across `localProcess` calls (BlazeFL rebuilds its pool every round).
 *
 * **Worker code.** The training function is the subclass's static
 * `worker(config, payload, device, stopEvent, { cid, shmBuffer })`. Each worker process imports
 * the module that exports the subclass once, so pass that module's `import.meta.url` as
 * `workerModule` (the export is found by the class's name; set `workerExport` when it is
 * exported under another). TypeScript run through a loader works: workers inherit
 * `process.execArgv` (e.g. `--import tsx`). One file may hold the subclass and the main script,
 * top-level `await` included: in a worker that main code runs until its first pool call, which
 * never returns there; guard it with `if (!isPoolWorker())` to skip it in workers.
 *
 * **Results through `shmBuffer`.** Return the buffer's own arrays, or (BlazeFL's idiom) write a
 * field into `shmBuffer` and return it as `new SHMHandle()` / `IN_SHM_BUFFER`: the parent takes
 * that field from the client's shared buffer.
 *
 * **Data movement.** Node has no cross-process SharedArrayBuffer; regions are files on tmpfs
 * (`/dev/shm`). A call's payload arrays are written once to one file that each worker reads once
 * per call. Each result's arrays are written by its worker into that worker's slot file, laid
 * out by {@link ClientTrainerBase.prepareUplinkPackageBuffer}, and read by the parent; only
 * receipts (packages whose arrays are replaced by `SHMHandle`s) cross IPC.
 *
 * **Stop.** `stopEvent` is a flag in a shared file: a busy worker sees it at its next
 * `stopEvent.isSet()`, and the call rejects with an `AbortError`.
 *
 * **Faults.** An exception in `worker` rejects the call with a `WorkerError` naming the cid (the
 * original error, with its stack, is the `cause`); the pool stays usable. A worker process that
 * dies (SIGKILL, out of memory, `process.exit`) is replaced and its client retried up to
 * `maxRetries` times, then the call rejects with a `WorkerExitError` naming the cid and the exit
 * code or signal. SIGINT/SIGTERM to the parent end every worker; workers exit when the parent
 * dies; files are removed on shutdown and on exit. Idle workers never keep the parent alive.
 *
 * One training function for all trainers: see `ClientTask`.
 *
 * @example
 * ```ts
 * // my-trainer.ts
 * export class MyTrainer extends ProcessPoolClientTrainer<Up, Down, Config> {
 *   constructor(numParallels: number) {
 *     super({ numParallels, workerModule: import.meta.url });
 *   }
 *   getClientConfig(cid: number): Config { return { cid, lr: 0.01 }; }
 *   override prepareUplinkPackageBuffer(): Up { return { params: new Float32Array(N) }; }
 *   static override worker(config: Config, payload: Down, device: string, stopEvent: StopEvent,
 *       { cid, shmBuffer }: WorkerContext<Up>): Up { ... }
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
export abstract class ProcessPoolClientTrainer<Up, Down, Config> extends ClientTrainerBase<
  Up,
  Down,
  Config
> {
  readonly numParallels: number;
  readonly stopEvent: FileStopEvent = new FileStopEvent();
  /** How many times a client whose worker process died is retried. */
  readonly maxRetries: number;
  readonly #options: ResolvedPoolOptions;
  readonly #execArgv: string[];
  readonly #sharedMemoryDir: string | undefined;
  readonly #engine: PoolEngine<Up>;
  readonly #arena: BufferArena<ArrayBuffer>;
  readonly #children = new Map<number, ChildProcess>();
  /** Per worker (by serial): its two result files and which one its next job writes. */
  readonly #slots = new Map<number, { fds: number[]; paths: string[]; next: number }>();
  #directory: RegionDirectory | undefined;
  #payloadFd: number | undefined;
  #workerExport: WorkerExport | undefined;
  #starting: Promise<void> | undefined;
  #shutdown: Promise<void> | undefined;
  #call: { payload: RegionMessage; plans: Map<number, ClientPlan<Config>> } | undefined;
  readonly #resources: ProcessPoolResources;

  /** @param options - See {@link ProcessPoolClientTrainerOptions}. */
  constructor(options: ProcessPoolClientTrainerOptions) {
    super(options);
    this.#options = resolvePoolOptions(options);
    this.numParallels = this.#options.numParallels;
    this.maxRetries = this.#options.maxRetries;
    if (
      options.execArgv !== undefined &&
      (!Array.isArray(options.execArgv) || options.execArgv.some((a) => typeof a !== "string"))
    )
      throw new OptionsError("execArgv", options.execArgv, "an array of strings");
    this.#execArgv = options.execArgv !== undefined ? [...options.execArgv] : inheritedExecArgv();
    if (
      options.sharedMemoryDir !== undefined &&
      (typeof options.sharedMemoryDir !== "string" || options.sharedMemoryDir === "")
    )
      throw new OptionsError("sharedMemoryDir", options.sharedMemoryDir, "a directory path");
    this.#sharedMemoryDir = options.sharedMemoryDir;
    this.#arena = new BufferArena((n) => new ArrayBuffer(n), this.#options.reuseResultBuffers);
    this.#engine = new PoolEngine<Up>(
      this.numParallels,
      {
        name: new.target.name,
        moduleUrl: this.#options.workerModule,
        exportName: this.#options.workerExport,
        spawn: (info, events) => this.#spawn(info, events),
        buildJob: (job, worker, jobId) => this.#buildJob(job, worker, jobId),
        acceptResult: (_job, message, worker) => this.#acceptResult(message, worker),
        released: (worker) => this.#release(worker),
      },
      this.stopEvent,
      this.maxRetries,
    );
    this.#resources = {
      killNow: (reason, signal) => this.#engine.killNow(reason, signal),
      killSync: () => {
        for (const child of this.#children.values())
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      },
      removeFilesSync: () => this.#removeFiles(),
    };
  }

  /**
   * Runs inside a worker process: trains one client and returns its uplink package. Override it
   * (it is static: it cannot see the trainer instance; everything it needs comes in its
   * arguments). Check `stopEvent.isSet()` between units of work and return early when set.
   *
   * @param config - `getClientConfig(cid)`, computed in the parent.
   * @param payload - The server's package, read from shared memory once per call into memory
   *   the worker reuses: read only, and valid during this call only (copy what you keep).
   * @param device - `getClientDevice(cid)`.
   * @param stopEvent - The shared stop flag.
   * @param context - `cid`, and `shmBuffer`: the client's result buffer (see
   *   {@link ClientTrainerBase.prepareUplinkPackageBuffer}), or `undefined`.
   */
  static worker(
    config: unknown,
    payload: unknown,
    device: string,
    stopEvent: StopEvent,
    context: WorkerContext<unknown>,
  ): unknown {
    void [config, payload, device, stopEvent, context];
    throw new TypeError("ProcessPoolClientTrainer subclasses must override static worker()");
  }

  /** The worker processes' pids (in slot order), once started. */
  get workerPids(): number[] {
    return this.#engine.pids;
  }

  /** The directory that holds the pool's shared-memory files, once started. */
  get sharedMemoryPath(): string | undefined {
    return this.#directory?.path;
  }

  /** Starts the worker processes now instead of at the first `localProcess` call. */
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
    const cls = this.constructor as typeof ProcessPoolClientTrainer;
    this.#workerExport = await resolveWorkerExport(
      "ProcessPoolClientTrainer",
      cls,
      ProcessPoolClientTrainer.worker,
      this.#options.workerExport,
    );
    if (this.#directory === undefined) {
      this.#directory = new RegionDirectory(this.#sharedMemoryDir);
      registerProcessPool(this.#resources);
      this.stopEvent.attach(this.#directory.file("control.bin"));
      this.#payloadFd = openSync(this.#directory.file("payload.bin"), "w+", 0o600);
    }
  }

  override async localProcess(payload: Down, cidList: readonly number[]): Promise<void> {
    if (isLoadingWorkerModule()) return parkMainCode(this.constructor);
    return this.exclusive(async () => {
      const plans = this.planClients(cidList);
      if (plans.length === 0) return;
      await this.start();
      this.#arena.recycle();
      const layout = replaceWithHandles(payload, { rootName: "payload" });
      writePlacementsToFile(this.#payloadFd as number, layout.placements);
      this.#call = {
        payload: { receipt: layout.receipt, byteLength: layout.regionByteLengths[0] ?? 0 },
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

  /**
   * Ends every worker process and removes the shared-memory files; idempotent. A call in
   * progress rejects with an `AbortError`.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#engine.close().then(() => {
      this.#removeFiles();
      this.#arena.clear();
    });
    return this.#shutdown;
  }

  /** Same as {@link ProcessPoolClientTrainer.shutdown}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #removeFiles(): void {
    this.stopEvent.close();
    if (this.#payloadFd !== undefined) closeSync(this.#payloadFd);
    this.#payloadFd = undefined;
    for (const { fds } of this.#slots.values()) for (const fd of fds) closeSync(fd);
    this.#slots.clear();
    this.#directory?.removeSync();
    unregisterProcessPool(this.#resources);
  }

  #spawn(info: WorkerInfo, events: WorkerEvents): SpawnedWorker {
    const directory = this.#directory;
    const controlPath = this.stopEvent.path;
    if (directory === undefined || controlPath === undefined || this.#workerExport === undefined)
      throw new AbortError("The pool's shared memory is gone (shut down)");
    const slotPaths = [0, 1].map((i) => directory.file(`slot-${info.serial}-${i}.bin`));
    const fds = slotPaths.map((path) => openSync(path, "w+", 0o600));
    this.#slots.set(info.serial, { fds, paths: slotPaths, next: 0 });
    const child = fork(fileURLToPath(entryUrl("process-worker-entry")), [], {
      execArgv: this.#execArgv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#children.set(info.serial, child);
    child.on("message", (value: unknown) => events.message(value));
    child.on("error", (error: Error) => events.error(error));
    child.on("exit", (code, signal) => {
      this.#children.delete(info.serial);
      events.exit(code, signal);
    });
    const post: SpawnedWorker["post"] = (message) => {
      if (child.connected) child.send(message, undefined, {}, () => {});
    };
    post({
      type: "init",
      kind: "process",
      moduleUrl: this.#options.workerModule,
      ...this.#workerExport,
      slot: info.slot,
      controlPath,
      payloadPath: directory.file("payload.bin"),
      slotPaths,
    });
    return {
      post,
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      },
      ref: () => {
        child.ref();
        child.channel?.ref();
      },
      unref: () => {
        child.unref();
        child.channel?.unref();
      },
    };
  }

  #release(worker: WorkerInfo): void {
    const slots = this.#slots.get(worker.serial);
    if (slots === undefined) return;
    this.#slots.delete(worker.serial);
    for (const fd of slots.fds) closeSync(fd);
    for (const path of slots.paths) rmSync(path, { force: true });
  }

  #buildJob(job: EngineJob, worker: WorkerInfo, jobId: number): JobMessage {
    const call = this.#call;
    const plan = call?.plans.get(job.cid);
    if (call === undefined || plan === undefined)
      throw new AbortError("No localProcess call is in progress");
    let data = job.data as ProcessJobData | undefined;
    if (data === undefined) {
      data = { template: this.resultLayout(job.cid) };
      job.data = data;
    }
    const sendPayload = worker.payloadGeneration !== job.generation;
    worker.payloadGeneration = job.generation;
    const slots = this.#slots.get(worker.serial);
    if (slots === undefined) throw new AbortError("The worker's result files are gone (shut down)");
    // Alternate: the parent may still be reading the previous result from the other file.
    const slot = slots.next;
    slots.next = 1 - slot;
    return {
      type: "job",
      slot,
      jobId,
      generation: job.generation,
      cid: job.cid,
      device: plan.device,
      config: plan.config,
      ...(sendPayload ? { payload: call.payload } : {}),
      ...(data.template !== undefined ? { template: data.template } : {}),
    };
  }

  #acceptResult(message: ResultMessage, worker: WorkerInfo): Up {
    const fd = this.#slots.get(worker.serial)?.fds[message.slot ?? 0];
    if (fd === undefined) throw new AbortError("The worker's result file is gone (shut down)");
    const { buffer } = this.#arena.acquire(message.byteLength);
    readRegionFile(fd, buffer, message.byteLength);
    this.#arena.keep(buffer);
    return reconstructSharedMemory<Up>(message.receipt, [buffer], { rootName: "result" });
  }
}
