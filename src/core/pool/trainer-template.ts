/**
 * {@link ClientTrainerTemplate}: what the serial, thread-pool and process-pool trainers share.
 * @module
 */
import type { BaseClientTrainer } from "../client-trainer.js";
import { AbortError, OptionsError } from "../errors.js";
import { replaceWithHandles } from "../shared-memory.js";
import { assertClientIds } from "../validate.js";
import type { ResultLayout } from "./client-run.js";
import type { PoolStopEvent } from "./stop-flags.js";
import {
  assertDevice,
  type ClientJob,
  type ClientTrainerOptions,
  clientDevice,
  resolveTrainerOptions,
} from "./trainer-options.js";
import { noteTrainerClass } from "./worker-runtime.js";

/** A call in progress as {@link ClientTrainerTemplate} collects it. */
export interface CollectableRun<Up> {
  /** The jobs, in `cidList` order. */
  readonly jobs: readonly ClientJob<Up>[];
  /** Rejects with the call's first failure; never resolves. */
  readonly failure: Promise<never>;
  /** Cancels the call. */
  cancel(error: unknown): void;
}

/** One client's parent-side inputs, computed once per call. */
interface ClientPlan<Config> {
  readonly cid: number;
  readonly config: Config;
  readonly device: string;
}

/**
 * BlazeFL's template method: the trainer owns `localProcess` (collection in `cidList` order, one
 * call at a time), a subclass fills the hooks. Not used directly: extend `SerialClientTrainer`,
 * `ThreadPoolClientTrainer` or `ProcessPoolClientTrainer`.
 *
 * @typeParam Up - The uplink package (client to server).
 * @typeParam Down - The downlink package (server to client).
 * @typeParam Config - What `getClientConfig(cid)` returns.
 */
export abstract class ClientTrainerTemplate<Up, Down, Config>
  implements BaseClientTrainer<Up, Down>
{
  /** The number of clients trained at the same time. */
  abstract readonly numParallels: number;
  /** The device clients train on (see `CPU_DEVICES`, `"cuda"`, `"cuda:N"`). */
  readonly device: string;
  /** The number of GPUs `"cuda"` spreads clients over. */
  readonly deviceCount: number;
  /** Results of the calls so far, in `cidList` order, until `uplinkPackage()` takes them. */
  cache: Up[] = [];
  /**
   * Set it to stop: busy workers see it at their next `stopEvent.isSet()` and the call rejects
   * with an `AbortError`; a call made while it is set rejects at once. `clear()` it to go on.
   */
  abstract readonly stopEvent: PoolStopEvent;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #layouts = new WeakMap<object, ResultLayout>();

  /** @param options - Device options, validated here. */
  constructor(options: ClientTrainerOptions) {
    noteTrainerClass(new.target);
    const resolved = resolveTrainerOptions(options);
    this.device = resolved.device;
    this.deviceCount = resolved.deviceCount;
  }

  /** The configuration of client `cid`, computed in the parent and handed to its worker. */
  abstract getClientConfig(cid: number): Config;

  /** Trains every client in `cidList` and appends their packages to `cache`, in `cidList` order. */
  abstract localProcess(payload: Down, cidList: readonly number[]): Promise<void>;

  /** The device of client `cid`: `"cuda"` becomes `` `cuda:${cid % deviceCount}` ``. */
  getClientDevice(cid: number): string {
    return clientDevice(this.device, this.deviceCount, cid);
  }

  /**
   * The layout of client `cid`'s result, as a package shaped like it; `undefined` (the default)
   * lets each result define its own. Workers get a zero-filled copy in shared memory as
   * `shmBuffer` (results written there cost no copy) and may return its arrays, or a field set to
   * `new SHMHandle()` / `IN_SHM_BUFFER` (BlazeFL's "take this field from `shmBuffer`"); arrays
   * that differ from the layout in type or length throw a `SharedMemoryError`. Only the layout is
   * read, cached per object: return one object for every client.
   */
  prepareUplinkPackageBuffer(_cid: number): Up | undefined {
    return undefined;
  }

  /**
   * Turns a client's result, rebuilt in the parent from shared memory, into the package that
   * enters `cache`. The default returns it as it is; override to copy or convert.
   */
  convertBufferToUplink(buffer: Up, _cid: number): Up {
    return buffer;
  }

  /**
   * A no-op progress hook: override it for a progress bar. It gets the jobs in submission order
   * and returns an iterable of them, which the trainer iterates, awaiting each job.
   */
  progressFn(jobs: readonly ClientJob<Up>[]): Iterable<ClientJob<Up>> {
    return jobs;
  }

  /** Returns the cached packages and empties the cache. */
  uplinkPackage(): Up[] {
    const packages = this.cache;
    this.cache = [];
    return packages;
  }

  /** The layout of `prepareUplinkPackageBuffer(cid)`, or `undefined` when it has none. */
  protected resultLayout(cid: number): ResultLayout | undefined {
    const template: unknown = this.prepareUplinkPackageBuffer(cid);
    if (template === undefined) return undefined;
    const cacheable = typeof template === "object" && template !== null;
    const cached = cacheable ? this.#layouts.get(template) : undefined;
    if (cached !== undefined) return cached;
    const plan = replaceWithHandles(template, { rootName: "prepareUplinkPackageBuffer()" });
    const layout = { receipt: plan.receipt, byteLength: plan.regionByteLengths[0] ?? 0 };
    if (cacheable) this.#layouts.set(template, layout);
    return layout;
  }

  /** Runs `task` after every earlier call has settled: calls never overlap. */
  protected exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Validates a call's arguments and computes each client's config and device. */
  protected planClients(cidList: readonly number[]): ClientPlan<Config>[] {
    assertClientIds("cidList", cidList);
    if (this.stopEvent.isSet())
      throw new AbortError(
        "localProcess was not started: stopEvent is set (clear() it to train again)",
      );
    return cidList.map((cid) => {
      const device = this.getClientDevice(cid);
      assertDevice(`getClientDevice(${cid})`, device);
      return { cid, config: this.getClientConfig(cid), device };
    });
  }

  /** Awaits each job through `progressFn`, then returns the results; a failure cancels the rest. */
  protected async collect(run: CollectableRun<Up>): Promise<Up[]> {
    try {
      const iterable: unknown = this.progressFn(run.jobs);
      if (typeof (iterable as Iterable<unknown> | null)?.[Symbol.iterator] !== "function")
        throw new OptionsError("progressFn(jobs)", iterable, "an iterable of the jobs");
      for (const job of iterable as Iterable<ClientJob<Up>>)
        await Promise.race([job.result, run.failure]);
      return await Promise.race([Promise.all(run.jobs.map((job) => job.result)), run.failure]);
    } catch (error) {
      run.cancel(error);
      throw error;
    }
  }

  /** Appends results to `cache` through {@link ClientTrainerTemplate.convertBufferToUplink}. */
  protected store(cidList: readonly number[], results: readonly Up[]): void {
    this.cache.push(...results.map((r, i) => this.convertBufferToUplink(r, cidList[i] as number)));
  }
}
