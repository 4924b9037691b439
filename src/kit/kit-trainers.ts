/**
 * The kit's client trainers: the seed's `SerialClientTrainer`, `ThreadPoolClientTrainer` and
 * `ProcessPoolClientTrainer`, each filled with the same hooks ({@link KitJobs}) and the same
 * worker function ({@link runKitClient}), so every algorithm runs on every execution kind with
 * no trainer code of its own. This module is imported by every worker, so it has no top-level
 * side effects. Use {@link createKitTrainer}.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type {
  ClientJob,
  PoolClientTrainerOptions,
  ThreadWorkerContext,
  WorkerContext,
} from "../core/pool/trainer-options.js";
import { ProcessPoolClientTrainer } from "../core/process-pool-trainer.js";
import { SerialClientTrainer } from "../core/serial-client-trainer.js";
import type { StopEvent } from "../core/stop-event.js";
import { ThreadPoolClientTrainer } from "../core/thread-pool-trainer.js";
import {
  type KitClientConfig,
  type KitDownlink,
  type KitUplink,
  runKitClient,
} from "./client-runner.js";

/** The parent-side hooks of a kit trainer, supplied by the run. */
export interface KitJobs {
  /** Client `cid`'s configuration for the call in progress. */
  configFor(cid: number): KitClientConfig;
  /** The uplink vector names. */
  readonly uplinkNames: readonly string[];
  /**
   * The model's parameter count (each uplink vector's length). Read when the first training job
   * is laid out, so a run may start its workers (and warm them up) before it has built its model.
   */
  readonly numParameters: number;
  /** The state length per client (0: none); read like `numParameters`. */
  readonly stateLength: number;
  /**
   * Called in the parent each time a client's result arrives, with the result (progress bars,
   * and aggregation while the other clients still train). The result's arrays stay valid until
   * the trainer's next call. It must not throw.
   */
  onClientDone?(cid: number, result: KitUplink): void;
}

/** The execution kinds the kit runs on this machine (`redis` lives in `blazefl/distributed`). */
export const LOCAL_TRAINER_KINDS = ["serial", "thread", "process"] as const;

/** One of {@link LOCAL_TRAINER_KINDS}. */
export type LocalTrainerKind = (typeof LOCAL_TRAINER_KINDS)[number];

/** A kit trainer as the run uses it, whatever its kind. */
export type KitTrainer =
  | KitSerialClientTrainer
  | KitThreadPoolClientTrainer
  | KitProcessPoolClientTrainer;

/** The pool options a run sets for hung workers: the timeout and the stall notice. */
export type KitWatchOptions = Pick<
  PoolClientTrainerOptions,
  "clientTimeout" | "onStall" | "stallFactor" | "minStallSeconds"
>;

/** The result layout of jobs that return no vectors (warm-up, evaluation shards). */
const NO_VECTORS: KitUplink = Object.freeze({
  cid: 0,
  weight: 0,
  steps: 0,
  metrics: {},
  vectors: {},
});

/** The result buffer of one client: its vectors and state go straight into shared memory. */
export function kitResultTemplate(jobs: KitJobs): KitUplink {
  const vectors: Record<string, Float32Array> = {};
  for (const name of jobs.uplinkNames) vectors[name] = new Float32Array(jobs.numParameters);
  return {
    cid: 0,
    weight: 0,
    steps: 0,
    metrics: {},
    vectors,
    ...(jobs.stateLength > 0 ? { state: new Float32Array(jobs.stateLength) } : {}),
  };
}

/**
 * Reports each job's completion, with its result, to `onClientDone` (progress bars, early
 * aggregation) and hands the jobs on unchanged: a `progressFn` for any trainer.
 */
export function reportJobs<Up>(
  jobs: readonly ClientJob<Up>[],
  onClientDone: ((cid: number, result: Up) => void) | undefined,
): readonly ClientJob<Up>[] {
  if (onClientDone !== undefined)
    for (const job of jobs)
      job.result.then(
        (result) => onClientDone(job.cid, result),
        () => {},
      );
  return jobs;
}

/** The kit on the serial trainer: clients one after another in this thread (the reference). */
export class KitSerialClientTrainer extends SerialClientTrainer<
  KitUplink,
  KitDownlink,
  KitClientConfig
> {
  readonly #jobs: KitJobs;

  /** @param jobs - The run's hooks. @param device - The device. */
  constructor(jobs: KitJobs, device: string) {
    super({ device, reuseResultBuffers: true });
    this.#jobs = jobs;
  }

  getClientConfig(cid: number): KitClientConfig {
    return this.#jobs.configFor(cid);
  }

  override prepareUplinkPackageBuffer(cid: number): KitUplink {
    if (this.#jobs.configFor(cid).task !== undefined) return NO_VECTORS;
    // Fresh per client: the serial trainer keeps every result of a call alive until collected.
    return kitResultTemplate(this.#jobs);
  }

  override progressFn(jobs: readonly ClientJob<KitUplink>[]): Iterable<ClientJob<KitUplink>> {
    return reportJobs(jobs, this.#jobs.onClientDone?.bind(this.#jobs));
  }

  static override worker(
    config: KitClientConfig,
    payload: KitDownlink,
    device: string,
    stopEvent: StopEvent,
    { cid, shmBuffer }: WorkerContext<KitUplink>,
  ): Promise<KitUplink> {
    return runKitClient({ cid, config, payload, device, stopEvent, shmBuffer });
  }
}

/** The kit on worker threads: payload and results in SharedArrayBuffers. */
export class KitThreadPoolClientTrainer extends ThreadPoolClientTrainer<
  KitUplink,
  KitDownlink,
  KitClientConfig
> {
  readonly #jobs: KitJobs;
  #template: KitUplink | undefined;

  /**
   * @param jobs - The run's hooks. @param numParallels - Threads. @param device - The device.
   * @param watch - Hung workers: timeout and stall notice.
   */
  constructor(jobs: KitJobs, numParallels: number, device: string, watch: KitWatchOptions = {}) {
    super({
      ...watch,
      numParallels,
      device,
      workerModule: import.meta.url,
      workerExport: "KitThreadPoolClientTrainer",
      reuseResultBuffers: true,
    });
    this.#jobs = jobs;
  }

  getClientConfig(cid: number): KitClientConfig {
    return this.#jobs.configFor(cid);
  }

  override prepareUplinkPackageBuffer(cid: number): KitUplink {
    if (this.#jobs.configFor(cid).task !== undefined) return NO_VECTORS;
    this.#template ??= kitResultTemplate(this.#jobs);
    return this.#template;
  }

  override progressFn(jobs: readonly ClientJob<KitUplink>[]): Iterable<ClientJob<KitUplink>> {
    return reportJobs(jobs, this.#jobs.onClientDone?.bind(this.#jobs));
  }

  static override worker(
    cid: number,
    device: string,
    payload: KitDownlink,
    stopEvent: StopEvent,
    { config, shmBuffer }: ThreadWorkerContext<KitUplink, KitClientConfig>,
  ): Promise<KitUplink> {
    return runKitClient({ cid, config, payload, device, stopEvent, shmBuffer });
  }
}

/** The kit on child processes: payload and results in files on tmpfs. */
export class KitProcessPoolClientTrainer extends ProcessPoolClientTrainer<
  KitUplink,
  KitDownlink,
  KitClientConfig
> {
  readonly #jobs: KitJobs;
  #template: KitUplink | undefined;

  /**
   * @param jobs - The run's hooks. @param numParallels - Processes. @param device - The device.
   * @param sharedMemoryDir - Where the pool's shared-memory files go.
   * @param watch - Hung workers: timeout and stall notice.
   */
  constructor(
    jobs: KitJobs,
    numParallels: number,
    device: string,
    sharedMemoryDir?: string,
    watch: KitWatchOptions = {},
  ) {
    super({
      ...watch,
      numParallels,
      device,
      workerModule: import.meta.url,
      workerExport: "KitProcessPoolClientTrainer",
      reuseResultBuffers: true,
      ...(sharedMemoryDir !== undefined ? { sharedMemoryDir } : {}),
    });
    this.#jobs = jobs;
  }

  getClientConfig(cid: number): KitClientConfig {
    return this.#jobs.configFor(cid);
  }

  override prepareUplinkPackageBuffer(cid: number): KitUplink {
    if (this.#jobs.configFor(cid).task !== undefined) return NO_VECTORS;
    this.#template ??= kitResultTemplate(this.#jobs);
    return this.#template;
  }

  override progressFn(jobs: readonly ClientJob<KitUplink>[]): Iterable<ClientJob<KitUplink>> {
    return reportJobs(jobs, this.#jobs.onClientDone?.bind(this.#jobs));
  }

  static override worker(
    config: KitClientConfig,
    payload: KitDownlink,
    device: string,
    stopEvent: StopEvent,
    { cid, shmBuffer }: WorkerContext<KitUplink>,
  ): Promise<KitUplink> {
    return runKitClient({ cid, config, payload, device, stopEvent, shmBuffer });
  }
}

/** Builds the kit trainer of `kind` with `numParallels` workers. */
export function createKitTrainer(
  kind: LocalTrainerKind,
  jobs: KitJobs,
  options: {
    readonly numParallels: number;
    readonly device: string;
    readonly sharedMemoryDir?: string;
    /** The pools' hung-worker options (the serial trainer has none). */
    readonly watch?: KitWatchOptions;
  },
): KitTrainer {
  switch (kind) {
    case "serial":
      return new KitSerialClientTrainer(jobs, options.device);
    case "thread":
      return new KitThreadPoolClientTrainer(
        jobs,
        options.numParallels,
        options.device,
        options.watch,
      );
    case "process":
      return new KitProcessPoolClientTrainer(
        jobs,
        options.numParallels,
        options.device,
        options.sharedMemoryDir,
        options.watch,
      );
    default:
      throw new OptionsError("--trainer", kind, LOCAL_TRAINER_KINDS.join(", "));
  }
}
