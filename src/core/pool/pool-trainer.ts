/**
 * {@link PoolClientTrainer}: the pool trainer under the process and thread trainers.
 * @module
 */
import { AbortError } from "../errors.js";
import { replaceWithHandles } from "../shared-memory.js";
import {
  type PoolClientTrainerOptions,
  type ResolvedPoolOptions,
  resolvePoolOptions,
} from "./trainer-options.js";
import { ClientTrainerTemplate } from "./trainer-template.js";
import { resolveWorkerExport, type WorkerExport } from "./worker-module.js";
import { type Transport, WorkerPool } from "./worker-pool.js";
import { isLoadingWorkerModule, parkMainCode } from "./worker-runtime.js";

/**
 * Start, `localProcess` and shutdown of both pool trainers, over a transport that moves the
 * arrays (processes and tmpfs files, or threads and SharedArrayBuffers). Not used directly.
 * @typeParam T - The transport.
 */
export abstract class PoolClientTrainer<
  Up,
  Down,
  Config,
  T extends Transport,
> extends ClientTrainerTemplate<Up, Down, Config> {
  /** The number of workers, kept alive across `localProcess` calls. */
  readonly numParallels: number;
  /** How many times a client whose worker died is retried. */
  readonly maxRetries: number;
  /** See {@link ClientTrainerTemplate.stopEvent}: the transport's flag, which busy workers see. */
  readonly stopEvent: T["stopEvent"];
  /** The transport (internal). */
  protected readonly transport: T;
  /** The scheduler (internal). */
  protected readonly workers: WorkerPool;
  readonly #base: { readonly name: string; readonly worker: unknown };
  readonly #workerExport: string | undefined;
  #opened: Promise<WorkerExport> | undefined;
  #shutdown: Promise<void> | undefined;

  /**
   * @param base - The public base class (its name for errors, its `worker` to be overridden).
   * @param transport - Makes the transport from the validated options.
   */
  protected constructor(
    options: PoolClientTrainerOptions,
    base: { readonly name: string; readonly worker: unknown },
    transport: (resolved: ResolvedPoolOptions) => T,
  ) {
    super(options);
    const resolved = resolvePoolOptions(options);
    this.numParallels = resolved.numParallels;
    this.maxRetries = resolved.maxRetries;
    this.#base = base;
    this.#workerExport = resolved.workerExport;
    this.transport = transport(resolved);
    this.stopEvent = this.transport.stopEvent;
    this.workers = new WorkerPool(new.target.name, this.transport, resolved);
  }

  /** Starts the workers now instead of at the first `localProcess` call (a warm-up). */
  start(): Promise<void> {
    if (isLoadingWorkerModule()) return parkMainCode(this.constructor);
    if (this.#shutdown !== undefined)
      return Promise.reject(new AbortError(`${this.constructor.name} was shut down`));
    const cls = this.constructor as unknown as { name: string; worker: unknown };
    this.#opened ??= (async () => {
      const { name, worker } = this.#base;
      const found = await resolveWorkerExport(name, cls, worker, this.#workerExport);
      this.transport.open(this.workers);
      return found;
    })().catch((error: unknown) => {
      this.#opened = undefined;
      throw error;
    });
    return this.#opened.then((found) => this.workers.start(found));
  }

  override localProcess(payload: Down, cidList: readonly number[]): Promise<void> {
    if (isLoadingWorkerModule()) return parkMainCode(this.constructor);
    return this.exclusive(async () => {
      const plans = this.planClients(cidList);
      if (plans.length === 0) return;
      await this.start();
      this.transport.recycle();
      const region = this.transport.writePayload(
        replaceWithHandles(payload, { rootName: "payload" }),
      );
      const jobs = plans.map((p, index) => ({ ...p, index, template: this.resultLayout(p.cid) }));
      this.store(cidList, await this.collect(this.workers.run<Up>(jobs, region)));
    });
  }

  /**
   * Ends every worker and releases the shared memory; idempotent. A call in progress rejects
   * with an `AbortError`.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.workers.close().then(() => this.transport.close());
    return this.#shutdown;
  }

  /** Same as `shutdown()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
