/**
 * {@link ProcessPoolClientTrainer} (the seed class of BlazeFL.ts) and its transport.
 * @module
 */
import { fork } from "node:child_process";
import { closeSync, openSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AbortError, OptionsError } from "./errors.js";
import { BufferArena } from "./pool/buffer-arena.js";
import { PoolClientTrainer } from "./pool/pool-trainer.js";
import {
  type PoolResources,
  registerProcessPool,
  unregisterProcessPool,
} from "./pool/process-registry.js";
import type { JobMessage, RegionMessage, ResultMessage } from "./pool/protocol.js";
import { RegionDirectory, readRegionFile, writePlacementsToFile } from "./pool/region-files.js";
import { FileStopEvent } from "./pool/stop-flags.js";
import type { PoolClientTrainerOptions, WorkerContext } from "./pool/trainer-options.js";
import { entryUrl, inheritedExecArgv } from "./pool/worker-module.js";
import type {
  SpawnedWorker,
  Transport,
  WorkerEvents,
  WorkerInit,
  WorkerPool,
} from "./pool/worker-pool.js";
import { reconstructSharedMemory, type SharedPlan } from "./shared-memory.js";
import type { StopEvent } from "./stop-event.js";

/** Options of {@link ProcessPoolClientTrainer}. */
export interface ProcessPoolClientTrainerOptions extends PoolClientTrainerOptions {
  /**
   * Node flags of the worker processes. By default the parent's `process.execArgv` minus
   * `--eval`, `--test`, `--watch` and `--inspect` flags, so that loaders such as `--import tsx`
   * keep working in workers.
   */
  readonly execArgv?: readonly string[];
  /** Where the pool's private shared-memory directory goes. @default "/dev/shm", else `os.tmpdir()` */
  readonly sharedMemoryDir?: string;
}

/**
 * Trains clients in parallel in `numParallels` child processes (`child_process.fork`), kept
 * alive across `localProcess` calls (BlazeFL rebuilds its pool every round). A one-file script's
 * main code runs in each worker until its first pool call, which never returns there: guard it
 * with `if (!isPoolWorker())`.
 *
 * Data moves through files in a private tmpfs directory: the payload is written once and read
 * once per worker, each result is written into a result file, and only receipts cross IPC. The
 * `stopEvent` is a flag in a shared file.
 *
 * An exception in `worker` rejects the call with a `WorkerError` naming the cid; a worker that
 * dies or passes `clientTimeout` is replaced and its client retried (`maxRetries`), and `onStall`
 * warns of a hung one. The pool stays usable after each. SIGINT, SIGTERM and SIGHUP to the parent end every worker, workers exit when the
 * parent dies, files are removed on shutdown and on exit, and idle workers never keep the parent
 * alive.
 *
 * @example
 * ```ts
 * export class MyTrainer extends ProcessPoolClientTrainer<Up, Down, Config> {
 *   constructor() { super({ numParallels: 4, workerModule: import.meta.url }); }
 *   getClientConfig(cid: number): Config { return { cid, lr: 0.01 }; }
 *   override prepareUplinkPackageBuffer(): Up { return { params: new Float32Array(N) }; }
 *   static override worker(config: Config, payload: Down, device: string, stopEvent: StopEvent,
 *       { cid, shmBuffer }: WorkerContext<Up>): Up { ... }
 * }
 * await using trainer = new MyTrainer();
 * await trainer.localProcess(payload, [0, 1, 2]);
 * const packages = trainer.uplinkPackage();
 * ```
 *
 * @typeParam Up - The uplink package (client to server).
 * @typeParam Down - The downlink package (server to client).
 * @typeParam Config - What `getClientConfig(cid)` returns.
 */
export abstract class ProcessPoolClientTrainer<Up, Down, Config> extends PoolClientTrainer<
  Up,
  Down,
  Config,
  ProcessTransport
> {
  /** @param options - See {@link ProcessPoolClientTrainerOptions}. */
  constructor(options: ProcessPoolClientTrainerOptions) {
    super(
      options,
      ProcessPoolClientTrainer,
      (r) => new ProcessTransport(options, r.reuseResultBuffers),
    );
  }

  /**
   * Override it: it trains one client in a worker process and returns its uplink package, and is
   * static because it runs where no trainer instance is. Check `stopEvent.isSet()` between units
   * of work. `payload` is read into memory the worker reuses: read only, valid during the call.
   */
  static worker(
    _config: unknown,
    _payload: unknown,
    _device: string,
    _stopEvent: StopEvent,
    _context: WorkerContext<unknown>,
  ): unknown {
    throw new TypeError("ProcessPoolClientTrainer subclasses must override static worker()");
  }

  /** The worker processes' pids (in slot order), once started: to watch or signal them. */
  get workerPids(): number[] {
    return this.workers.pids;
  }

  /** The directory that holds the pool's shared-memory files, once started. */
  get sharedMemoryPath(): string | undefined {
    return this.transport.directory?.path;
  }
}

/** A private tmpfs directory with the stop flag, the payload and three result files per worker. */
class ProcessTransport implements Transport {
  readonly stopEvent = new FileStopEvent();
  directory: RegionDirectory | undefined;
  readonly #execArgv: string[];
  readonly #sharedMemoryDir: string | undefined;
  readonly #arena: BufferArena<ArrayBuffer>;
  /** Per worker: its result files and which one its next job writes. */
  readonly #slots = new Map<number, { fds: number[]; paths: string[]; next: number }>();
  #payloadFd: number | undefined;
  #resources: PoolResources | undefined;

  constructor({ execArgv, sharedMemoryDir }: ProcessPoolClientTrainerOptions, reuse: boolean) {
    if (
      execArgv !== undefined &&
      !(Array.isArray(execArgv) && execArgv.every((a) => typeof a === "string"))
    )
      throw new OptionsError("execArgv", execArgv, "an array of strings");
    if (
      sharedMemoryDir !== undefined &&
      (typeof sharedMemoryDir !== "string" || sharedMemoryDir === "")
    )
      throw new OptionsError("sharedMemoryDir", sharedMemoryDir, "a directory path");
    this.#execArgv = execArgv !== undefined ? [...execArgv] : inheritedExecArgv();
    this.#sharedMemoryDir = sharedMemoryDir;
    this.#arena = new BufferArena((n) => new ArrayBuffer(n), reuse);
  }

  open(pool: WorkerPool): void {
    if (this.directory !== undefined) return;
    this.directory = new RegionDirectory(this.#sharedMemoryDir);
    this.#resources = {
      killNow: (reason, signal) => pool.killNow(reason, signal),
      removeFilesSync: () => this.close(),
      close: () => pool.close().then(() => this.close()),
    };
    registerProcessPool(this.#resources);
    this.stopEvent.attach(this.directory.file("control.bin"));
    this.#payloadFd = openSync(this.directory.file("payload.bin"), "w+", 0o600);
  }

  writePayload(plan: SharedPlan<unknown>): RegionMessage {
    writePlacementsToFile(this.#payloadFd as number, plan.placements);
    return { receipt: plan.receipt, byteLength: plan.regionByteLengths[0] ?? 0 };
  }

  recycle(): void {
    this.#arena.recycle();
  }

  close(): void {
    this.stopEvent.close();
    if (this.#payloadFd !== undefined) closeSync(this.#payloadFd);
    this.#payloadFd = undefined;
    for (const serial of [...this.#slots.keys()]) this.released(serial);
    this.directory?.removeSync();
    if (this.#resources !== undefined) unregisterProcessPool(this.#resources);
    this.#arena.clear();
  }

  spawn(serial: number, init: WorkerInit, events: WorkerEvents): SpawnedWorker {
    const { directory, stopEvent } = this;
    if (directory === undefined || stopEvent.path === undefined)
      throw new AbortError("The pool's shared memory is gone (shut down)");
    const paths = [0, 1, 2].map((i) => directory.file(`slot-${serial}-${i}.bin`));
    const fds = paths.map((path) => openSync(path, "w+", 0o600));
    this.#slots.set(serial, { fds, paths, next: 0 });
    const child = fork(fileURLToPath(entryUrl()), [], {
      execArgv: this.#execArgv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.on("message", (value: unknown) => events.message(value));
    child.on("error", (error: Error) => events.error(error));
    child.on("exit", (code, signal) => events.exit(code, signal));
    const post: SpawnedWorker["post"] = (message) => {
      if (child.connected) child.send(message, undefined, {}, () => {});
    };
    post({
      type: "init",
      kind: "process",
      ...init,
      controlPath: stopEvent.path,
      payloadPath: directory.file("payload.bin"),
      slotPaths: paths,
    });
    return {
      post,
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      },
      ref: (active) => {
        for (const handle of [child, child.channel])
          if (active) handle?.ref();
          else handle?.unref();
      },
    };
  }

  resultSlot(_job: unknown, serial: number): Pick<JobMessage, "slot"> {
    const slots = this.#slots.get(serial);
    if (slots === undefined) throw new AbortError("The worker's result files are gone (shut down)");
    // In turn: a worker runs one job and holds at most one more (pipelining), and the parent
    // sends those while it reads the result before them, so three files are never too few.
    const slot = slots.next;
    slots.next = (slot + 1) % slots.fds.length;
    return { slot };
  }

  acceptResult(message: ResultMessage, sent: JobMessage, serial: number): unknown {
    const fd = this.#slots.get(serial)?.fds[sent.slot ?? 0];
    if (fd === undefined) throw new AbortError("The worker's result file is gone (shut down)");
    const { buffer } = this.#arena.acquire(message.byteLength);
    readRegionFile(fd, buffer, message.byteLength);
    this.#arena.keep(buffer);
    return reconstructSharedMemory(message.receipt, [buffer], { rootName: "result" });
  }

  released(serial: number): void {
    const slots = this.#slots.get(serial);
    this.#slots.delete(serial);
    for (const fd of slots?.fds ?? []) closeSync(fd);
    for (const path of slots?.paths ?? []) rmSync(path, { force: true });
  }
}
