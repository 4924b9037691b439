/**
 * {@link SerialClientTrainer}: clients trained one after another in the calling thread.
 *
 * @module
 */
import { AbortError, OptionsError, SharedMemoryError, WorkerError } from "./errors.js";
import { controlWords, ThreadStopEvent, WorkerStopEvent } from "./pool/stop-flags.js";
import type { ClientJob, ClientTrainerOptions, WorkerContext } from "./pool/trainer-options.js";
import { ClientTrainerTemplate, type CollectableRun } from "./pool/trainer-template.js";
import { detachFromTemplate, reconstructSharedMemory, resolveMarkers } from "./shared-memory.js";
import type { StopEvent } from "./stop-event.js";

/**
 * Trains clients one after another in the calling thread, with the conventions of the pool
 * trainers: the same static `worker(config, payload, device, stopEvent, { cid, shmBuffer })` as
 * {@link ProcessPoolClientTrainer}, the same hooks, the same result checks (a result whose arrays
 * differ from `prepareUplinkPackageBuffer(cid)` is refused), the same errors (`WorkerError` with
 * the original as `cause`, `AbortError` on stop), and results that share no memory with the
 * payload. It is the reference the thread and process pools match bit for bit.
 *
 * One training function for all trainers: see `ClientTask`.
 *
 * @example
 * ```ts
 * export class MySerialTrainer extends SerialClientTrainer<Up, Down, Config> {
 *   getClientConfig(cid: number): Config { return { cid, lr: 0.01 }; }
 *   static override worker(config: Config, payload: Down, device: string, stopEvent: StopEvent,
 *       { cid, shmBuffer }: WorkerContext<Up>): Up { ... }
 * }
 * const trainer = new MySerialTrainer({ device: "cpu" });
 * ```
 *
 * @typeParam Up - The uplink package (client to server).
 * @typeParam Down - The downlink package (server to client).
 * @typeParam Config - What `getClientConfig(cid)` returns.
 */
export abstract class SerialClientTrainer<Up, Down, Config> extends ClientTrainerTemplate<
  Up,
  Down,
  Config
> {
  /** Always 1. */
  readonly numParallels = 1;
  readonly stopEvent: ThreadStopEvent = new ThreadStopEvent();
  #generation = 0;

  /** @param options - Device options. */
  constructor(options: ClientTrainerOptions = {}) {
    super(options);
  }

  /**
   * Trains one client and returns its uplink package. Override it; it is static, like the pool
   * trainers' `worker`, so that one function serves all three.
   *
   * @param config - `getClientConfig(cid)`.
   * @param payload - The server's package (read only).
   * @param device - `getClientDevice(cid)`.
   * @param stopEvent - Set when the call is stopped or cancelled.
   * @param context - `cid` and `shmBuffer` (`prepareUplinkPackageBuffer(cid)`, or `undefined`).
   */
  static worker(
    config: unknown,
    payload: unknown,
    device: string,
    stopEvent: StopEvent,
    context: WorkerContext<unknown>,
  ): unknown {
    void [config, payload, device, stopEvent, context];
    throw new TypeError("SerialClientTrainer subclasses must override static worker()");
  }

  override async localProcess(payload: Down, cidList: readonly number[]): Promise<void> {
    return this.exclusive(async () => {
      const plans = this.planClients(cidList);
      if (plans.length === 0) return;
      const cls = this.constructor as typeof SerialClientTrainer;
      if (cls.worker === SerialClientTrainer.worker)
        throw new OptionsError("worker", cls.name, "a class that overrides static worker()");
      const generation = ++this.#generation;
      const control = controlWords(this.stopEvent.buffer);
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
      const jobs: ClientJob<Up>[] = plans.map((plan, index) => {
        const result = chain.then(async (): Promise<Up> => {
          if (failed !== undefined) throw failed.error;
          const layout = this.resultLayout(plan.cid);
          // Like the pools: a zero-filled copy of the layout, never the template itself.
          const shmBuffer =
            layout === undefined
              ? undefined
              : reconstructSharedMemory<Up>(layout.receipt, [new ArrayBuffer(layout.byteLength)], {
                  rootName: "shmBuffer",
                });
          const stopEvent = new WorkerStopEvent(
            control.read,
            control.write,
            generation,
            () => false,
          );
          let output: unknown;
          try {
            output = await cls.worker(plan.config, payload, plan.device, stopEvent, {
              cid: plan.cid,
              shmBuffer,
            });
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            throw new WorkerError(plan.cid, `Client ${plan.cid} failed: ${message}`, {
              cause: error,
            });
          }
          let detached: Up;
          try {
            const result = resolveMarkers(output as Up, () => shmBuffer, { rootName: "result" });
            detached = detachFromTemplate(result, shmBuffer, { rootName: "result" });
          } catch (error) {
            if (error instanceof SharedMemoryError)
              throw new SharedMemoryError(`Client ${plan.cid}: ${error.message}`, { cause: error });
            throw error;
          }
          if (this.stopEvent.isSet())
            throw new AbortError("localProcess was stopped: stopEvent was set");
          return detached;
        });
        result.catch((error: unknown) => cancel(error));
        chain = result;
        return { cid: plan.cid, index, result };
      });
      const run: CollectableRun<Up> = { jobs, failure, cancel };
      try {
        const results = await this.collect(run);
        this.store(cidList, results);
      } finally {
        unsubscribe();
      }
    });
  }
}
