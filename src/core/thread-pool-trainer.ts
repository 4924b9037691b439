/**
 * {@link ThreadPoolClientTrainer} and its transport.
 * @module
 */
import { type ResourceLimits, Worker } from "node:worker_threads";
import { OptionsError } from "./errors.js";
import { BufferArena } from "./pool/buffer-arena.js";
import { PoolClientTrainer } from "./pool/pool-trainer.js";
import type { JobMessage, RegionMessage, ResultMessage } from "./pool/protocol.js";
import { ThreadStopEvent } from "./pool/stop-flags.js";
import {
  moduleUrl,
  type PoolClientTrainerOptions,
  type ThreadWorkerContext,
} from "./pool/trainer-options.js";
import { entryUrl, THREAD_BOOTSTRAP, tsxApiUrl } from "./pool/worker-module.js";
import type {
  PoolJob,
  SpawnedWorker,
  Transport,
  WorkerEvents,
  WorkerInit,
} from "./pool/worker-pool.js";
import { reconstructSharedMemory, type SharedPlan, writePlacements } from "./shared-memory.js";
import type { StopEvent } from "./stop-event.js";

/** Options of {@link ThreadPoolClientTrainer}. */
export interface ThreadPoolClientTrainerOptions extends PoolClientTrainerOptions {
  /**
   * Modules each thread imports before `workerModule` (plain JavaScript): a TypeScript loader
   * other than tsx, which the trainer registers itself (Node 20 threads ignore `--import`).
   */
  readonly preload?: readonly (string | URL)[];
  /** V8 heap limits of each worker thread (see `worker_threads.ResourceLimits`). */
  readonly resourceLimits?: ResourceLimits;
}

/**
 * Trains clients in parallel on `numParallels` worker threads (BlazeFL's
 * `ThreadPoolClientTrainer`). Everything is as in `ProcessPoolClientTrainer` except the static
 * `worker`'s signature and that data moves zero-copy: the payload is copied once into a
 * SharedArrayBuffer every thread views, each result is written into a shared slot the parent
 * views, and the `stopEvent` is an Atomics flag.
 *
 * @example
 * ```ts
 * export class MyTrainer extends ThreadPoolClientTrainer<Up, Down, Config> {
 *   constructor() { super({ numParallels: 4, workerModule: import.meta.url }); }
 *   getClientConfig(cid: number): Config { return { cid, lr: 0.01 }; }
 *   static override worker(cid: number, device: string, payload: Down, stopEvent: StopEvent,
 *       { config, shmBuffer }: ThreadWorkerContext<Up, Config>): Up { ... }
 * }
 * ```
 */
export abstract class ThreadPoolClientTrainer<
  Up,
  Down,
  Config = undefined,
> extends PoolClientTrainer<Up, Down, Config, ThreadTransport> {
  /** @param options - See {@link ThreadPoolClientTrainerOptions}. */
  constructor(options: ThreadPoolClientTrainerOptions) {
    super(
      options,
      ThreadPoolClientTrainer,
      (r) => new ThreadTransport(options, r.reuseResultBuffers),
    );
  }

  /**
   * Override it as `ProcessPoolClientTrainer.worker`, with this signature; it runs on a worker
   * thread. `payload`'s arrays view shared memory every thread reads and the next call rewrites:
   * read only, valid during the call.
   */
  static worker(
    _cid: number,
    _device: string,
    _payload: unknown,
    _stopEvent: StopEvent,
    _context: ThreadWorkerContext<unknown, unknown>,
  ): unknown {
    throw new TypeError("ThreadPoolClientTrainer subclasses must override static worker()");
  }

  /** The worker threads' ids (in slot order), once started. */
  get workerThreadIds(): number[] {
    return this.workers.threadIds;
  }
}

/** Threads: the payload in one SharedArrayBuffer all threads view, results in shared slots. */
class ThreadTransport implements Transport {
  readonly stopEvent = new ThreadStopEvent();
  readonly #preload: string[];
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #arena: BufferArena<SharedArrayBuffer>;
  /** The largest result seen: with reuse, template-less results get a recycled slot that size. */
  #resultHint = 0;
  #payloadBuffer: SharedArrayBuffer | undefined;

  constructor({ preload = [], resourceLimits }: ThreadPoolClientTrainerOptions, reuse: boolean) {
    if (!Array.isArray(preload))
      throw new OptionsError("preload", preload, "an array of module URLs");
    this.#preload = preload.map((url, i) => {
      const href = moduleUrl(url);
      if (href === undefined) throw new OptionsError(`preload[${i}]`, url, "a module URL");
      return href;
    });
    this.#resourceLimits = resourceLimits;
    this.#arena = new BufferArena((n) => new SharedArrayBuffer(n), reuse);
  }

  open(): void {}

  writePayload(plan: SharedPlan<unknown>): RegionMessage {
    const byteLength = plan.regionByteLengths[0] ?? 0;
    // One buffer, rewritten each call: workers read a call's payload only during that call.
    if (this.#payloadBuffer === undefined || this.#payloadBuffer.byteLength < byteLength)
      this.#payloadBuffer = new SharedArrayBuffer(byteLength);
    writePlacements(plan.placements, [this.#payloadBuffer]);
    return { receipt: plan.receipt, byteLength, buffer: this.#payloadBuffer };
  }

  recycle(): void {
    this.#arena.recycle();
  }

  close(): void {
    this.#arena.clear();
    this.#payloadBuffer = undefined;
    this.stopEvent.close();
  }

  spawn(_serial: number, init: WorkerInit, events: WorkerEvents): SpawnedWorker {
    const bootstrap = { tsxApi: tsxApiUrl(), preload: this.#preload, entry: entryUrl().href };
    const worker = new Worker(THREAD_BOOTSTRAP, {
      eval: true,
      workerData: {
        type: "init",
        kind: "thread",
        ...init,
        controlBuffer: this.stopEvent.buffer,
        bootstrap,
      },
      ...(this.#resourceLimits !== undefined ? { resourceLimits: this.#resourceLimits } : {}),
    });
    worker.on("message", (value: unknown) => events.message(value));
    worker.on("error", (error: Error) => events.error(error));
    worker.on("exit", (code: number) => events.exit(code, null));
    return {
      post: (message) => worker.postMessage(message),
      kill: () => void worker.terminate(),
      ref: (active) => (active ? worker.ref() : worker.unref()),
    };
  }

  resultSlot(job: PoolJob): Pick<JobMessage, "slotBuffer" | "zeroFill"> {
    const bytes = job.template?.byteLength ?? (this.#arena.reuses ? this.#resultHint : 0);
    if (bytes === 0) return {};
    const { buffer, recycled } = this.#arena.acquire(bytes);
    return { slotBuffer: buffer, zeroFill: recycled };
  }

  acceptResult({ slotBuffer: slot, byteLength, receipt }: ResultMessage): unknown {
    if (slot !== undefined) {
      this.#arena.keep(slot);
      this.#resultHint = Math.max(this.#resultHint, byteLength);
    }
    return reconstructSharedMemory(receipt, [slot ?? new SharedArrayBuffer(0)], {
      rootName: "result",
    });
  }

  released(): void {}
}
