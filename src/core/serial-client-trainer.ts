/**
 * {@link SerialClientTrainer}: clients trained one after another in the calling thread.
 * @module
 */
import { AbortError, OptionsError, SharedMemoryError, WorkerError } from "./errors.js";
import { BufferArena } from "./pool/buffer-arena.js";
import { commitResult, runClient } from "./pool/client-run.js";
import { atomicWords, ThreadStopEvent, WorkerStopEvent } from "./pool/stop-flags.js";
import type {
  ClientJob,
  ClientTrainerOptions,
  PoolClientTrainerOptions,
  WorkerContext,
} from "./pool/trainer-options.js";
import { ClientTrainerTemplate } from "./pool/trainer-template.js";
import type { WorkerClass } from "./pool/worker-runtime.js";
import { reconstructSharedMemory } from "./shared-memory.js";
import type { StopEvent } from "./stop-event.js";

/**
 * Trains clients one after another in the calling thread, through the pool workers' own code:
 * {@link ProcessPoolClientTrainer}'s static `worker` signature, hooks, checks, result layout and
 * errors, and results that share no memory with the payload. It is the reference the pools match
 * bit for bit. One training function for all three trainers: see `ClientTask`.
 *
 * @example
 * ```ts
 * export class MySerialTrainer extends SerialClientTrainer<Up, Down, Config> {
 *   getClientConfig(cid: number): Config { return { cid, lr: 0.01 }; }
 *   static override worker(config: Config, payload: Down, device: string, stopEvent: StopEvent,
 *       { cid, shmBuffer }: WorkerContext<Up>): Up { ... }
 * }
 * ```
 */
export abstract class SerialClientTrainer<Up, Down, Config> extends ClientTrainerTemplate<
  Up,
  Down,
  Config
> {
  /** Always 1: the seed's attribute, kept so that code written for the pools reads it. */
  readonly numParallels = 1;
  /** See {@link ClientTrainerTemplate.stopEvent}. */
  readonly stopEvent: ThreadStopEvent = new ThreadStopEvent();
  #generation = 0;
  readonly #arena: BufferArena<ArrayBuffer>;

  /** @param options - Device options, and `reuseResultBuffers` as the pools take it. */
  constructor(
    options: ClientTrainerOptions & Pick<PoolClientTrainerOptions, "reuseResultBuffers"> = {},
  ) {
    super(options);
    const { reuseResultBuffers = false } = options;
    if (typeof reuseResultBuffers !== "boolean")
      throw new OptionsError("reuseResultBuffers", reuseResultBuffers, "a boolean");
    this.#arena = new BufferArena((n) => new ArrayBuffer(n), reuseResultBuffers);
  }

  /** A zeroed region for one result, recycled from the previous call with `reuseResultBuffers`. */
  #region(byteLength: number): ArrayBuffer {
    const { buffer, recycled } = this.#arena.acquire(byteLength);
    if (recycled) new Uint8Array(buffer, 0, byteLength).fill(0);
    this.#arena.keep(buffer);
    return buffer;
  }

  /**
   * Override it to train one client and return its uplink package; static, like the pools'
   * `worker`, so that one function serves all three. `stopEvent` is set when the call is stopped
   * or cancelled.
   */
  static worker(
    _config: unknown,
    _payload: unknown,
    _device: string,
    _stopEvent: StopEvent,
    _context: WorkerContext<unknown>,
  ): unknown {
    throw new TypeError("SerialClientTrainer subclasses must override static worker()");
  }

  override async localProcess(payload: Down, cidList: readonly number[]): Promise<void> {
    return this.exclusive(async () => {
      const plans = this.planClients(cidList);
      if (plans.length === 0) return;
      const cls = this.constructor as unknown as WorkerClass;
      if (cls.worker === SerialClientTrainer.worker)
        throw new OptionsError("worker", cls.name, "a class that overrides static worker()");
      const generation = ++this.#generation;
      this.#arena.recycle();
      const words = atomicWords(this.stopEvent.buffer);
      let failed: { error: unknown } | undefined;
      let rejectFailure!: (error: unknown) => void;
      const failure = new Promise<never>((_, reject) => {
        rejectFailure = reject;
      });
      failure.catch(() => {});
      const cancel = (error: unknown): void => {
        if (failed !== undefined) return;
        failed = { error };
        this.stopEvent.cancelGeneration(generation);
        rejectFailure(error);
      };
      const unsubscribe = this.stopEvent.onSet(() =>
        cancel(new AbortError("localProcess was stopped: stopEvent was set")),
      );
      let chain: Promise<unknown> = Promise.resolve();
      const jobs: ClientJob<Up>[] = plans.map(({ cid, config, device }, index) => {
        const result = chain.then(async (): Promise<Up> => {
          if (failed !== undefined) throw failed.error;
          const outcome = await runClient({
            cls,
            signature: "process",
            cid,
            config,
            device,
            payload,
            stopEvent: new WorkerStopEvent(words, generation),
            layout: this.resultLayout(cid),
            // Like the pools: a zero-filled copy of the layout, never the template itself.
            resultRegion: (byteLength) => this.#region(byteLength),
            userError: (error) => {
              const text = error instanceof Error ? error.message : String(error);
              return new WorkerError(cid, `Client ${cid} failed: ${text}`, { cause: error });
            },
          }).catch((error: unknown) => {
            throw error instanceof SharedMemoryError
              ? new SharedMemoryError(`Client ${cid}: ${error.message}`, { cause: error })
              : error;
          });
          // A region per client: results share no memory with the payload or each other.
          const region = commitResult(outcome.plan, outcome.region, (n) => this.#region(n));
          if (this.stopEvent.isSet())
            throw new AbortError("localProcess was stopped: stopEvent was set");
          return reconstructSharedMemory<Up>(outcome.plan.receipt, [region], {
            rootName: "result",
          });
        });
        result.catch((error: unknown) => cancel(error));
        chain = result;
        return { cid, index, result };
      });
      try {
        this.store(cidList, await this.collect({ jobs, failure, cancel }));
      } finally {
        unsubscribe();
      }
    });
  }
}
