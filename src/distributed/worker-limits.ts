/**
 * The largest runs a Redis worker serves, in a module of their own so that `blazefl worker
 * --help` (and every other command of the CLI, which registers it) can show the defaults without
 * loading bullmq and ioredis: about 0.12 s of start-up.
 *
 * @module
 */

/** The largest run a worker serves (`RedisWorkerOptions.limits`). */
export interface RedisWorkerLimits {
  /** The most clients a run's dataset may have (memory grows with it). */
  readonly maxClients: number;
  /** The most local epochs per job (time grows with it). */
  readonly maxEpochs: number;
  /** The largest batch (memory grows with it). */
  readonly maxBatchSize: number;
  /** The most model parameters (memory grows with it). */
  readonly maxParameters: number;
  /** The most samples per client of a synthetic dataset. */
  readonly maxClientSize: number;
}

/** The defaults of {@link RedisWorkerLimits}: well above the workloads of the docs. */
export const DEFAULT_WORKER_LIMITS: RedisWorkerLimits = {
  maxClients: 100_000,
  maxEpochs: 100,
  maxBatchSize: 65_536,
  maxParameters: 100_000_000,
  maxClientSize: 1_000_000,
};

/** The flag of each limit, for messages. */
export const WORKER_LIMIT_FLAGS: Readonly<Record<keyof RedisWorkerLimits, string>> = {
  maxClients: "--max-clients",
  maxEpochs: "--max-epochs",
  maxBatchSize: "--max-batch-size",
  maxParameters: "--max-parameters",
  maxClientSize: "--max-client-size",
};
