/**
 * {@link RedisWorker}: the worker side of the Redis trainer. It takes one job at a time from its
 * run's BullMQ queue, checks it strictly, trains the client with `runKitClient` (the function
 * behind every other trainer kind, so results are bit-identical to theirs) with the algorithm
 * the run names, among those the worker was started with, and writes the result back signed.
 * An evaluation job (a shard of the server's test set) runs through `runKitClient` too, and its
 * result is the shard's per-batch loss, accuracy and count, signed the same way.
 *
 * A job is data only: ids and digests. The worker reads the run's configuration and the round's
 * model from Redis, checks their digests, sizes and values, and rejects (fails without retry,
 * with a logged error) any job that is malformed, belongs to another run, or whose run is
 * unknown. Training errors are retried by BullMQ (`attempts`); a worker that dies mid-job loses
 * its lock, and BullMQ's stalled-job check gives the job to another worker.
 * @module
 */
import { realpathSync, statSync } from "node:fs";
import { hostname } from "node:os";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { AbortError, OptionsError } from "../core/errors.js";
import { ThreadStopEvent } from "../core/pool/stop-flags.js";
import { assertDevice } from "../core/pool/trainer-options.js";
import { assertPositiveInteger } from "../core/validate.js";
import { loadFederatedDataset } from "../data/federated/load-federated-dataset.js";
import { initEngine } from "../engine/init-engine.js";
import type { AlgorithmDefinition } from "../kit/algorithm.js";
import { type AlgorithmRef, type KitClientConfig, runKitClient } from "../kit/client-runner.js";
import { isDefinition, loadAlgorithm } from "../kit/load-algorithm.js";
import { algorithmRef, builtInAlgorithmNames } from "../kit/registry.js";
import type { JsonValue } from "../kit/server-optimizer.js";
import { closeQuietly, withDeadline } from "./deadline.js";
import { DistributedError } from "./errors.js";
import {
  CLIENT_JOB_NAME,
  type ClientJobData,
  EVALUATION_JOB_NAME,
  parseEvaluationJobData,
  parseJobData,
} from "./job-data.js";
import { assertKeyName, DEFAULT_PREFIX, DEFAULT_RUN_ID, RunKeyspace } from "./keyspace.js";
import {
  assertTimeoutMs,
  closeRedis,
  connectRedis,
  DEFAULT_CONNECT_TIMEOUT_MS,
  redisOptions,
} from "./redis-connection.js";
import { parseRedisUrl, type RedisConnectionConfig } from "./redis-url.js";
import { decodeRunConfig, type RedisRunConfig } from "./run-config.js";
import {
  decodeFloat32,
  decodeVectors,
  encodeEvaluationResult,
  encodeKitUplink,
  sha256Hex,
  signUplink,
} from "./wire-format.js";
import {
  DEFAULT_WORKER_LIMITS,
  type RedisWorkerLimits,
  WORKER_LIMIT_FLAGS,
} from "./worker-limits.js";

/** Options of {@link RedisWorker}. */
export interface RedisWorkerOptions {
  /** The Redis URL: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  readonly url: string;
  /** The run whose queue this worker serves; jobs of any other run are rejected. @default "default" */
  readonly runId?: string;
  /** The key prefix, as the server's. @default "blazefl" */
  readonly prefix?: string;
  /** Train on this device instead of the run's (e.g. `cuda:1` on a GPU machine). */
  readonly device?: string;
  /**
   * The directories this worker reads image datasets from; a run's own `dataDir` only picks one
   * of them and is never read as a path (a run stored by anyone who can write to Redis must not
   * make the worker read files of its choosing). With none, the default location is used; with
   * one, it is used whatever the run says; with several, the one the run's `dataDir` resolves to,
   * else the first.
   */
  readonly dataDirs?: readonly string[];
  /**
   * What this worker agrees to serve; a run configuration beyond it is rejected (a run stored in
   * Redis by anyone must not hold the worker's memory or time without bound).
   * See {@link DEFAULT_WORKER_LIMITS}.
   */
  readonly limits?: Partial<RedisWorkerLimits>;
  /**
   * Give up (close, and `lost` resolves with a `DistributedError`) when Redis has been
   * unreachable for this long. Undefined: keep reconnecting for ever.
   */
  readonly giveUpAfterMs?: number;
  /** How long a graceful close may wait for the job in training to stop. @default 10000 */
  readonly closeTimeoutMs?: number;
  /**
   * How long a job's lock lasts; the worker renews it while it trains, and a worker that dies
   * loses it, so its job runs elsewhere about this long after. @default 30000
   */
  readonly lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died. @default 30000 */
  readonly stalledIntervalMs?: number;
  /** How many times a job may be recovered from a dead worker before it fails. @default 2 */
  readonly maxStalledCount?: number;
  /** How long connecting may take, retries included. @default 30000 */
  readonly connectTimeoutMs?: number;
  /** Extra TLS options for `rediss://` (e.g. `ca`). */
  readonly tls?: TlsConnectionOptions;
  /** The worker's name in BullMQ (shown on jobs). @default "blazefl-worker.HOST.PID" */
  readonly name?: string;
  /** Receives one line when each job starts and one when it ends. */
  readonly log?: (line: string) => void;
  /** Receives rejected and failed jobs and connection errors. */
  readonly logError?: (line: string) => void;
  /** Called after a job was checked and before it trains (instrumentation, tests). */
  readonly beforeTrain?: (job: ClientJobData) => void | Promise<void>;
  /**
   * The built-in algorithms this worker runs, by name. @default every built-in
   * (see `builtInAlgorithmNames`)
   */
  readonly algorithms?: readonly string[];
  /**
   * Modules of the user's own algorithms this worker runs (paths or `file:` URLs): every
   * algorithm a module exports is served, by its name. A job can only name an algorithm; it
   * never chooses a module.
   */
  readonly algorithmModules?: readonly string[];
}

/** Why `run` is beyond `limits`, or undefined when the worker serves it. */
export function exceededLimit(run: RedisRunConfig, limits: RedisWorkerLimits): string | undefined {
  const synthetic = run.dataset.synthetic;
  const asked: [keyof RedisWorkerLimits, string, number | undefined][] = [
    ["maxClients", "numClients", run.dataset.numClients],
    ["maxClients", "synthetic.serverTestClients", synthetic?.serverTestClients],
    ["maxClients", "synthetic.cacheClients", synthetic?.cacheClients],
    ["maxEpochs", "epochs", run.training.epochs],
    ["maxBatchSize", "batchSize", run.training.batchSize],
    ["maxParameters", "numParameters", run.numParameters],
    ["maxParameters", "stateLength", run.stateLength],
    ["maxClientSize", "synthetic.maxClientSize", synthetic?.maxClientSize],
  ];
  for (const [limit, field, value] of asked)
    if (value !== undefined && value > limits[limit])
      return `the run asks for ${field} ${value}, more than this worker serves (${WORKER_LIMIT_FLAGS[limit]} ${limits[limit]})`;
  return undefined;
}

/** What the worker has done so far. */
export interface RedisWorkerStats {
  /** Jobs whose result was written. */
  readonly completed: number;
  /** Jobs rejected as malformed, foreign or of an unknown run. */
  readonly rejected: number;
  /** Jobs whose training threw (BullMQ retries them). */
  readonly failed: number;
  /** Jobs given back to the queue because the worker was closing. */
  readonly requeued: number;
}

/** The return value of a job (kept small: the result itself is in its own key). */
export interface RedisJobReceipt {
  readonly cid: number;
  readonly round: number;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * The return value of an evaluation job, shown in BullMQ's tools (kept small: the figures
 * themselves are in the shard's result key).
 */
export interface RedisEvaluationReceipt {
  /** The shard's first test batch. */
  readonly firstBatch: number;
  /** One past its last. */
  readonly endBatch: number;
  /** The round whose model was evaluated. */
  readonly round: number;
  /** The size of the signed result written. */
  readonly bytes: number;
  /** Its sha256 (hex), to match it with what the server read. */
  readonly sha256: string;
}

/** What a job refers to in Redis: its run, and the round's model. */
type JobRefs = Pick<ClientJobData, "runId" | "round" | "configDigest" | "downlinkDigest">;

const RUN_CACHE_SIZE = 4;

/** A run this worker serves: its stored configuration, and the worker's own algorithm for it. */
interface ServedRun {
  readonly config: RedisRunConfig;
  /** Where this worker's definition of the run's algorithm is (its own, never the run's). */
  readonly ref: AlgorithmRef;
  /** The options as the worker's copy of the algorithm's schema parsed them. */
  readonly options: JsonValue;
}

/** The algorithms a worker serves, by name. */
async function servedAlgorithms(
  names: readonly string[],
  modules: readonly string[],
): Promise<Map<string, { ref: AlgorithmRef; definition: AlgorithmDefinition }>> {
  const served = new Map<string, { ref: AlgorithmRef; definition: AlgorithmDefinition }>();
  for (const name of names) {
    const ref = algorithmRef(name);
    served.set(name, { ref, definition: await loadAlgorithm(ref) });
  }
  for (const path of modules) {
    const { moduleUrl } = algorithmRef(
      path.includes("#") ? path.slice(0, path.indexOf("#")) : path,
    );
    let module: Record<string, unknown>;
    try {
      module = (await import(moduleUrl)) as Record<string, unknown>;
    } catch (error) {
      throw new OptionsError(
        "algorithmModules",
        path,
        `an importable module (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
    let found = 0;
    for (const [exportName, value] of Object.entries(module))
      if (isDefinition(value)) {
        const ref = { moduleUrl, exportName };
        served.set(value.name, { ref, definition: await loadAlgorithm(ref) });
        found++;
      }
    if (found === 0)
      throw new OptionsError(
        "algorithmModules",
        path,
        "a module that exports an algorithm made with defineAlgorithm()",
      );
  }
  return served;
}

/** Serves one run's queue; see the module documentation. */
export class RedisWorker {
  /** The run's keys and queue. */
  readonly keys: RunKeyspace;
  /** The parsed URL (its `redacted` form is safe to print). */
  readonly connection: RedisConnectionConfig;
  /** The worker's name in BullMQ. */
  readonly name: string;
  readonly #options: RedisWorkerOptions;
  readonly #timing: {
    lockDurationMs: number;
    stalledIntervalMs: number;
    connectTimeoutMs: number;
  };
  readonly #maxStalledCount: number;
  readonly #limits: RedisWorkerLimits;
  readonly #algorithmSpecs: {
    readonly names: readonly string[];
    readonly modules: readonly string[];
  };
  #dataDirs: readonly string[] = [];
  #lostSince: number | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #giveUp!: (error: DistributedError) => void;
  /**
   * Resolves with a `DistributedError` when the worker gave up on a lost Redis
   * (`giveUpAfterMs`); it has then closed itself. Never resolves otherwise.
   */
  readonly lost: Promise<DistributedError> = new Promise((resolve) => {
    this.#giveUp = resolve;
  });
  readonly #stop = new ThreadStopEvent();
  readonly #runs = new Map<string, ServedRun>();
  #downlink:
    | {
        readonly key: string;
        readonly value: {
          readonly model: Float32Array;
          readonly vectors: Record<string, Float32Array>;
        };
      }
    | undefined;
  #algorithms!: Promise<
    Map<string, { readonly ref: AlgorithmRef; readonly definition: AlgorithmDefinition }>
  >;
  #client: Redis | undefined;
  #worker: Worker | undefined;
  #closing: Promise<void> | undefined;
  readonly #connecting = new AbortController();
  #lastError = "";
  readonly #stats = { completed: 0, rejected: 0, failed: 0, requeued: 0 };

  /** @param options - See {@link RedisWorkerOptions}; validated here. */
  constructor(options: RedisWorkerOptions) {
    if (options === null || typeof options !== "object")
      throw new OptionsError("options", options, "a RedisWorkerOptions object");
    this.connection = parseRedisUrl(options.url, "url");
    if (options.runId !== undefined) assertKeyName("runId", options.runId);
    if (options.prefix !== undefined) assertKeyName("prefix", options.prefix);
    this.keys = new RunKeyspace(options.prefix ?? DEFAULT_PREFIX, options.runId ?? DEFAULT_RUN_ID);
    if (options.device !== undefined) assertDevice("device", options.device);
    if (options.dataDirs !== undefined) {
      if (!Array.isArray(options.dataDirs))
        throw new OptionsError("dataDirs", options.dataDirs, "an array of directory paths");
      for (const [i, dir] of options.dataDirs.entries())
        if (typeof dir !== "string" || dir === "")
          throw new OptionsError(`dataDirs[${i}]`, dir, "a directory path");
      this.#dataDirs = options.dataDirs.map((dir, i) => {
        try {
          const real = realpathSync(dir);
          if (!statSync(real).isDirectory()) throw new Error("not a directory");
          return real;
        } catch (error) {
          throw new OptionsError(`dataDirs[${i}]`, dir, "an existing directory", { cause: error });
        }
      });
    }
    const names = options.algorithms ?? builtInAlgorithmNames();
    if (!Array.isArray(names))
      throw new OptionsError("algorithms", names, "an array of built-in algorithm names");
    for (const [i, name] of names.entries())
      if (!builtInAlgorithmNames().includes(name))
        throw new OptionsError(
          `algorithms[${i}]`,
          name,
          `a built-in algorithm (${builtInAlgorithmNames().join(", ")}); a module goes in algorithmModules`,
        );
    const modules = options.algorithmModules ?? [];
    if (!Array.isArray(modules))
      throw new OptionsError("algorithmModules", modules, "an array of module paths");
    this.#algorithmSpecs = { names, modules };
    const limits = { ...DEFAULT_WORKER_LIMITS, ...(options.limits ?? {}) };
    for (const [key, value] of Object.entries(limits)) assertPositiveInteger(key, value);
    this.#limits = limits;
    if (options.giveUpAfterMs !== undefined)
      assertTimeoutMs("giveUpAfterMs", options.giveUpAfterMs);
    if (options.closeTimeoutMs !== undefined)
      assertTimeoutMs("closeTimeoutMs", options.closeTimeoutMs);
    const timing = {
      lockDurationMs: options.lockDurationMs ?? 30_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    };
    for (const [key, value] of Object.entries(timing)) assertTimeoutMs(key, value);
    this.#timing = timing;
    this.#maxStalledCount = options.maxStalledCount ?? 2;
    assertPositiveInteger("maxStalledCount", this.#maxStalledCount);
    for (const key of ["log", "logError", "beforeTrain"] as const)
      if (options[key] !== undefined && typeof options[key] !== "function")
        throw new OptionsError(key, options[key], "a function");
    if (options.name !== undefined && (typeof options.name !== "string" || options.name === ""))
      throw new OptionsError("name", options.name, "a non-empty string");
    this.name = options.name ?? `blazefl-worker.${hostname()}.${process.pid}`;
    this.#options = options;
  }

  /** Counts of what the worker has done so far. */
  get stats(): RedisWorkerStats {
    return { ...this.#stats };
  }

  /**
   * Connects (bounded by `connectTimeoutMs`), initialises the `device` engine when one was
   * given (so a bad device fails now, not on the first job), and starts taking jobs.
   * @throws DistributedError when Redis cannot be reached or refuses the credentials;
   *   DeviceError / EngineError for the device.
   */
  async start(): Promise<void> {
    if (this.#worker !== undefined || this.#closing !== undefined)
      throw new DistributedError("The worker was already started");
    const { connectTimeoutMs, lockDurationMs, stalledIntervalMs } = this.#timing;
    // The algorithms first: a module that does not load fails now, not on the first job.
    this.#algorithms = servedAlgorithms(this.#algorithmSpecs.names, this.#algorithmSpecs.modules);
    await this.#algorithms;
    if (this.#options.device !== undefined) await initEngine(this.#options.device);
    const tls = this.#options.tls;
    const client = await connectRedis(this.connection, {
      connectTimeoutMs,
      connectionName: `${this.name}.data`,
      signal: this.#connecting.signal,
      ...(tls !== undefined ? { tls } : {}),
    });
    this.#client = client;
    this.#watch(client);
    if (this.#closing !== undefined) {
      await closeRedis(client);
      throw new AbortError("The worker was closed while it started");
    }
    const worker = new Worker(this.keys.queueName, (job, token) => this.#process(job, token), {
      connection: redisOptions(this.connection, tls !== undefined ? { tls } : {}),
      prefix: this.keys.prefix,
      name: this.name,
      concurrency: 1,
      lockDuration: lockDurationMs,
      stalledInterval: stalledIntervalMs,
      maxStalledCount: this.#maxStalledCount,
      autorun: false,
    });
    this.#worker = worker;
    worker.on("error", (error) => {
      // Connection errors repeat while Redis is away: print each distinct one once.
      if (error.message === this.#lastError) return;
      this.#lastError = error.message;
      this.#logError(`error: ${error.message}`);
    });
    worker.on("stalled", (jobId) =>
      this.#log(`job ${jobId} stalled (its worker died); queued again`),
    );
    try {
      await withDeadline(worker.waitUntilReady(), connectTimeoutMs, "Connecting the job worker");
    } catch (error) {
      await this.close();
      throw error;
    }
    worker.run().catch((error: unknown) => {
      this.#logError(`error: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /**
   * Stops taking jobs. A job in training stops at its next batch and goes back to the queue
   * (no attempt is spent), then the connections close. The wait is bounded: by `closeTimeoutMs`,
   * and to a moment when Redis is unreachable (nothing can be given back then; the job's lock
   * expires and another worker takes it). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop.set();
      this.#connecting.abort();
      clearInterval(this.#watchdog);
      const worker = this.#worker;
      if (worker !== undefined) {
        const reachable = this.#client?.status === "ready";
        const graceMs = reachable ? (this.#options.closeTimeoutMs ?? 10_000) : 500;
        let closed = false;
        await closeQuietly(async () => {
          await worker.close();
          closed = true;
        }, graceMs);
        if (!closed) await closeQuietly(() => worker.close(true), 1000);
        // Whatever BullMQ still holds must not keep reconnecting (and the process alive).
        if (!closed) await closeQuietly(() => worker.disconnect(), 1000);
      }
      await closeRedis(this.#client);
    })();
    return this.#closing;
  }

  /** Tracks whether Redis is reachable, and gives up after `giveUpAfterMs` without it. */
  #watch(client: Redis): void {
    const giveUpAfterMs = this.#options.giveUpAfterMs;
    const lost = () => {
      this.#lostSince ??= performance.now();
    };
    client.on("close", lost);
    client.on("end", lost);
    client.on("reconnecting", lost);
    client.on("ready", () => {
      this.#lostSince = undefined;
    });
    if (giveUpAfterMs === undefined) return;
    this.#watchdog = setInterval(
      () => {
        const since = this.#lostSince;
        if (since === undefined || this.#closing !== undefined) return;
        if (performance.now() - since < giveUpAfterMs) return;
        const error = new DistributedError(
          `Redis at ${this.connection.redacted} has been unreachable for ${Math.round(giveUpAfterMs / 1000)} s (the give-up time); the worker stops`,
        );
        this.#logError(error.message);
        void this.close().then(() => this.#giveUp(error));
      },
      Math.min(1000, giveUpAfterMs),
    );
    this.#watchdog.unref();
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  #logError(line: string): void {
    this.#options.logError?.(line);
  }

  /** Logs and throws the error that fails a job without retry. */
  #reject(job: Job, reason: string): never {
    this.#stats.rejected++;
    this.#logError(`job ${job.id} rejected: ${reason}`);
    throw new UnrecoverableError(`Rejected by ${this.name}: ${reason}`);
  }

  async #process(
    job: Job,
    token: string | undefined,
  ): Promise<RedisJobReceipt | RedisEvaluationReceipt> {
    try {
      return job.name === EVALUATION_JOB_NAME
        ? await this.#evaluate(job)
        : await this.#train(job, token);
    } catch (error) {
      if (
        error instanceof UnrecoverableError ||
        error instanceof WaitingError ||
        (error instanceof Error &&
          (error.name === "UnrecoverableError" || error.name === "WaitingError"))
      )
        throw error;
      this.#stats.failed++;
      const message = error instanceof Error ? error.message : String(error);
      this.#logError(
        `job ${job.id} failed (attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}): ${message}`,
      );
      throw error;
    }
  }

  /** The job's data, parsed by `parse` and checked to belong to this worker's run. */
  #jobData<T extends { readonly runId: string }>(job: Job, parse: (data: unknown) => T): T {
    let data: T;
    try {
      data = parse(job.data);
    } catch (error) {
      this.#reject(job, error instanceof Error ? error.message : String(error));
    }
    if (data.runId !== this.keys.runId)
      this.#reject(
        job,
        `it belongs to run ${JSON.stringify(data.runId)}; this worker serves run ${JSON.stringify(this.keys.runId)} only`,
      );
    return data;
  }

  async #train(job: Job, token: string | undefined): Promise<RedisJobReceipt> {
    const t0 = performance.now();
    if (job.name !== CLIENT_JOB_NAME)
      this.#reject(job, `unknown job name ${JSON.stringify(job.name)}`);
    const data = this.#jobData(job, parseJobData);
    const { round, cid } = data;
    this.#log(`job ${job.id} started: run ${data.runId}, round ${round}, client ${cid}`);
    let run: ServedRun;
    let downlink: { readonly model: Float32Array; readonly vectors: Record<string, Float32Array> };
    let initialState: Float32Array | undefined;
    try {
      run = await this.#runConfig(data);
      downlink = await this.#downlinkOf(data, run.config, "training");
      initialState = await this.#stateOf(data, run.config);
    } catch (error) {
      if (error instanceof DistributedError) this.#reject(job, error.message);
      throw error;
    }
    const { config: stored } = run;
    if (cid >= stored.dataset.numClients)
      this.#reject(job, `client ${cid} does not exist (the run has ${stored.dataset.numClients})`);
    await this.#options.beforeTrain?.(data);
    const config: KitClientConfig = {
      algorithm: run.ref,
      options: run.options,
      training: stored.training,
      model: { kind: "zoo", name: stored.model },
      dataset: this.#datasetOf(stored.dataset),
      ...(data.clientConfig !== undefined ? { clientConfig: data.clientConfig } : {}),
    };
    const device = this.#options.device ?? stored.device;
    const pkg = await runKitClient({
      cid,
      config,
      payload: { round, model: downlink.model, vectors: downlink.vectors },
      device,
      stopEvent: this.#stop,
      shmBuffer: undefined,
      ...(initialState !== undefined ? { initialState } : {}),
    });
    if (this.#stop.isSet()) {
      // Closing: the training stopped early, so its result is partial. Give the job back.
      await job.moveToWait(token);
      this.#stats.requeued++;
      this.#log(`job ${job.id} given back to the queue: the worker is closing`);
      throw new WaitingError();
    }
    for (const name of stored.uplink) {
      const v = pkg.vectors[name];
      if (v === undefined || v.length !== stored.numParameters)
        this.#reject(
          job,
          `training gave ${v?.length ?? "no"} values for ${name}, the run expects ${stored.numParameters} (is the worker's model the run's?)`,
        );
    }
    // runKitClient scanned the uplink where it was written.
    if (pkg.nonFinite !== undefined) this.#reject(job, `training diverged: ${pkg.nonFinite}`);
    const resultKey = this.keys.resultKey(data, cid);
    const encoded = encodeKitUplink(pkg, round, stored.uplink);
    const bytes =
      stored.resultKey !== undefined
        ? signUplink(encoded, Buffer.from(stored.resultKey, "hex"), resultKey)
        : encoded;
    const client = this.#client as Redis;
    await client.set(resultKey, bytes, "PX", stored.keyTtlMs);
    this.#stats.completed++;
    const seconds = (performance.now() - t0) / 1000;
    const loss = pkg.metrics.loss;
    this.#log(
      `job ${job.id} done: run ${data.runId}, round ${round}, client ${cid}, ${stored.algorithm}, weight ${pkg.weight}, ` +
        `${loss !== undefined && Number.isFinite(loss) ? `loss ${loss.toFixed(4)}, ` : ""}${seconds.toFixed(3)}s`,
    );
    return { cid, round, bytes: bytes.byteLength, sha256: sha256Hex(bytes) };
  }

  /**
   * Evaluates a shard of the server's test set: checks the job (its data, the batch size against
   * `--max-batch-size` before anything is read, the run and model as for a client job, then the
   * batch range against the run's test set) and writes the per-batch figures back, signed.
   */
  async #evaluate(job: Job): Promise<RedisEvaluationReceipt> {
    const t0 = performance.now();
    const data = this.#jobData(job, parseEvaluationJobData);
    const { round, firstBatch, endBatch, batchSize } = data;
    const { maxBatchSize } = this.#limits;
    if (batchSize > maxBatchSize)
      this.#reject(
        job,
        `the evaluation asks for batchSize ${batchSize}, more than this worker serves (${WORKER_LIMIT_FLAGS.maxBatchSize} ${maxBatchSize})`,
      );
    const shard = `evaluation of test batches ${firstBatch} to ${endBatch - 1}`;
    this.#log(`job ${job.id} started: run ${data.runId}, round ${round}, ${shard}`);
    let run: ServedRun;
    let model: Float32Array;
    try {
      run = await this.#runConfig(data);
      model = (await this.#downlinkOf(data, run.config, "evaluation")).model;
    } catch (error) {
      if (error instanceof DistributedError) this.#reject(job, error.message);
      throw error;
    }
    const { config: stored } = run;
    const dataset = this.#datasetOf(stored.dataset);
    const testSize = (await loadFederatedDataset(dataset)).size("test", undefined);
    const numBatches = Math.ceil(testSize / batchSize);
    if (endBatch > numBatches)
      this.#reject(
        job,
        `test batches ${firstBatch} to ${endBatch - 1} are outside the run's test set (${testSize} samples: batches 0 to ${numBatches - 1} of ${batchSize})`,
      );
    const pkg = await runKitClient({
      cid: 0,
      config: {
        algorithm: run.ref,
        options: run.options,
        training: stored.training,
        model: { kind: "zoo", name: stored.model },
        dataset,
        task: { kind: "evaluate", firstBatch, endBatch, batchSize },
      },
      payload: { round, model, vectors: {} },
      device: this.#options.device ?? stored.device,
      stopEvent: this.#stop,
      shmBuffer: undefined,
    });
    const figures = (name: string) =>
      Array.from(
        { length: endBatch - firstBatch },
        (_, i) => pkg.metrics[`${name}:${firstBatch + i}`] as number,
      );
    const result = {
      round,
      firstBatch,
      endBatch,
      batchSize,
      loss: figures("loss"),
      accuracy: figures("accuracy"),
      count: figures("count"),
    };
    const resultKey = this.keys.evaluationResultKey(data, data);
    const encoded = encodeEvaluationResult(result);
    const bytes =
      stored.resultKey !== undefined
        ? signUplink(encoded, Buffer.from(stored.resultKey, "hex"), resultKey)
        : encoded;
    await (this.#client as Redis).set(resultKey, bytes, "PX", stored.keyTtlMs);
    this.#stats.completed++;
    const samples = result.count.reduce((sum, c) => sum + c, 0);
    const seconds = (performance.now() - t0) / 1000;
    this.#log(
      `job ${job.id} done: run ${data.runId}, round ${round}, ${shard}, ${samples} samples, ${seconds.toFixed(3)}s`,
    );
    return { firstBatch, endBatch, round, bytes: bytes.byteLength, sha256: sha256Hex(bytes) };
  }

  /** The run's dataset with one of the worker's own data directories (never the run's path). */
  #datasetOf(dataset: RedisRunConfig["dataset"]): RedisRunConfig["dataset"] {
    if (dataset.dataset === "synthetic") return dataset;
    const { dataDir: asked, ...rest } = dataset;
    const dataDir = this.#chooseDataDir(asked);
    return dataDir === undefined ? rest : { ...rest, dataDir };
  }

  /** One of the worker's own data directories: see {@link RedisWorkerOptions.dataDirs}. */
  #chooseDataDir(asked: string | undefined): string | undefined {
    const dirs = this.#dataDirs;
    if (dirs.length <= 1 || asked === undefined) return dirs[0];
    let real: string | undefined;
    try {
      real = realpathSync(asked);
    } catch {
      // Not a directory here: the first of the worker's.
    }
    return dirs.find((dir) => dir === real) ?? dirs[0];
  }

  /**
   * The run's configuration, read once per digest and checked: its limits, that this worker was
   * started with its algorithm, that the algorithm's vectors and state match, and its options
   * against the algorithm's own schema.
   */
  async #runConfig(data: JobRefs): Promise<ServedRun> {
    const cached = this.#runs.get(data.configDigest);
    if (cached !== undefined) return cached;
    const client = this.#client as Redis;
    const bytes = await client.getBuffer(this.keys.configKey(data.configDigest));
    if (bytes === null)
      throw new DistributedError(
        `unknown run: run ${JSON.stringify(data.runId)} has no configuration ${data.configDigest.slice(0, 16)} in Redis (the run is over, expired, or never existed)`,
      );
    const config = decodeRunConfig(bytes, data.configDigest);
    const beyond = exceededLimit(config, this.#limits);
    if (beyond !== undefined) throw new DistributedError(beyond);
    const served = (await this.#algorithms).get(config.algorithm);
    if (served === undefined)
      throw new DistributedError(
        `the run uses algorithm ${JSON.stringify(config.algorithm)}, which this worker was not started with (it runs ${[...(await this.#algorithms).keys()].join(", ")}; see --algorithm and --algorithm-module)`,
      );
    const { ref, definition } = served;
    const parsed = definition.options.safeParse(config.options);
    if (!parsed.success)
      throw new DistributedError(
        `the run's options are not ${definition.name}'s (${parsed.error.issues[0]?.path.join(".") ?? ""}: ${parsed.error.issues[0]?.message ?? "invalid"})`,
      );
    const uplink = definition.uplink ?? ["model"];
    const downlink = definition.downlink ?? [];
    const stateLength =
      definition.stateLength?.({ numParameters: config.numParameters, options: parsed.data }) ?? 0;
    if (
      JSON.stringify(uplink) !== JSON.stringify(config.uplink) ||
      JSON.stringify(downlink) !== JSON.stringify(config.downlink) ||
      stateLength !== config.stateLength
    )
      throw new DistributedError(
        `this worker's algorithm ${definition.name} is not the server's (uplink, downlink or state differ: another version?)`,
      );
    const run: ServedRun = { config, ref, options: parsed.data as JsonValue };
    if (this.#runs.size >= RUN_CACHE_SIZE) {
      const oldest = this.#runs.keys().next().value;
      if (oldest !== undefined) this.#runs.delete(oldest);
    }
    this.#runs.set(data.configDigest, run);
    return run;
  }

  /**
   * The round's broadcast, read once per round and checked (digest, vectors, finite values). An
   * evaluation's holds the model only, whatever the algorithm broadcasts besides.
   */
  async #downlinkOf(
    data: JobRefs,
    run: RedisRunConfig,
    kind: "training" | "evaluation",
  ): Promise<{ readonly model: Float32Array; readonly vectors: Record<string, Float32Array> }> {
    const names = kind === "training" ? run.downlink : [];
    const key = this.keys.downlinkKey(data.round, data.downlinkDigest);
    const id = `${key}/${data.downlinkDigest}/${data.configDigest}/${names.join(",")}`;
    if (this.#downlink?.key === id) return this.#downlink.value;
    const client = this.#client as Redis;
    const bytes = await client.getBuffer(key);
    if (bytes === null)
      throw new DistributedError(
        `round ${data.round}'s model is not in Redis (the round is over or expired)`,
      );
    const digest = sha256Hex(bytes);
    if (digest !== data.downlinkDigest)
      throw new DistributedError(
        `round ${data.round}'s model has digest ${digest.slice(0, 16)}..., the job expects ${data.downlinkDigest.slice(0, 16)}...`,
      );
    const { vectors } = decodeVectors(
      bytes,
      [
        ["model", run.numParameters],
        ...names.map((name): [string, undefined] => [name, undefined]),
      ],
      `Round ${data.round}'s model`,
    );
    const others: Record<string, Float32Array> = {};
    for (const name of names) others[name] = vectors.get(name) as Float32Array;
    const value = { model: vectors.get("model") as Float32Array, vectors: others };
    this.#downlink = { key: id, value };
    return value;
  }

  /** The client's committed state for this job, checked, or undefined before its first round. */
  async #stateOf(data: ClientJobData, run: RedisRunConfig): Promise<Float32Array | undefined> {
    if (data.stateDigest === undefined) return undefined;
    if (run.stateLength === 0)
      throw new DistributedError("the job has a client state, but the run's algorithm keeps none");
    const client = this.#client as Redis;
    const bytes = await client.getBuffer(this.keys.stateKey(data, data.cid));
    if (bytes === null)
      throw new DistributedError(
        `client ${data.cid}'s state for round ${data.round} is not in Redis (the round is over or expired)`,
      );
    const digest = sha256Hex(bytes);
    if (digest !== data.stateDigest)
      throw new DistributedError(
        `client ${data.cid}'s state has digest ${digest.slice(0, 16)}..., the job expects ${data.stateDigest.slice(0, 16)}...`,
      );
    return decodeFloat32(bytes, run.stateLength, `Client ${data.cid}'s state`);
  }
}
