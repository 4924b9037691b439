/**
 * No-op trainers for the overhead benchmark: each client returns its input. The result slot is
 * preallocated, so the framework copies the returned array into shared memory once, which is
 * what a real client does with its trained parameters.
 */
import {
  ProcessPoolClientTrainer,
  type ProcessPoolClientTrainerOptions,
  type StopEvent,
  ThreadPoolClientTrainer,
  type ThreadPoolClientTrainerOptions,
  type ThreadWorkerContext,
  type WorkerContext,
} from "../../src/core/index.js";

/** The model, as the server sends it. */
export interface NoopDown {
  readonly params: Float32Array;
}

/** The model, as a client returns it. */
export interface NoopUp {
  readonly params: Float32Array;
}

/** The ONE client function: return the input. */
export function noopClient(payload: NoopDown): NoopUp {
  return { params: payload.params };
}

type Options<T> = Omit<T, "workerModule"> & { readonly numParams: number };

/** Thread variant. */
export class NoopThreadTrainer extends ThreadPoolClientTrainer<NoopUp, NoopDown, undefined> {
  readonly #layout: NoopUp;
  constructor(options: Options<ThreadPoolClientTrainerOptions>) {
    super({ ...options, workerModule: import.meta.url });
    this.#layout = { params: new Float32Array(options.numParams) };
  }
  getClientConfig(): undefined {
    return undefined;
  }
  /** One layout for every client: the trainer only reads it. */
  override prepareUplinkPackageBuffer(): NoopUp {
    return this.#layout;
  }
  static override worker(
    _cid: number,
    _device: string,
    payload: NoopDown,
    _stopEvent: StopEvent,
    _context: ThreadWorkerContext<NoopUp, undefined>,
  ): NoopUp {
    return noopClient(payload);
  }
}

/** Process variant. */
export class NoopProcessTrainer extends ProcessPoolClientTrainer<NoopUp, NoopDown, undefined> {
  readonly #layout: NoopUp;
  constructor(options: Options<ProcessPoolClientTrainerOptions>) {
    super({ ...options, workerModule: import.meta.url });
    this.#layout = { params: new Float32Array(options.numParams) };
  }
  getClientConfig(): undefined {
    return undefined;
  }
  /** One layout for every client: the trainer only reads it. */
  override prepareUplinkPackageBuffer(): NoopUp {
    return this.#layout;
  }
  static override worker(
    _config: undefined,
    payload: NoopDown,
    _device: string,
    _stopEvent: StopEvent,
    _context: WorkerContext<NoopUp>,
  ): NoopUp {
    return noopClient(payload);
  }
}
