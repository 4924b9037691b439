/**
 * {@link RedisClientTrainer}: the clients of any kit algorithm trained by `blazefl worker`s on
 * any machine, through BullMQ jobs over Redis.
 *
 * Each round the downlink (the model and the algorithm's broadcast vectors) is written once to
 * Redis; a client's committed state, for algorithms that keep one, is written beside it from the
 * run's state store (the server stays the one owner of state: it is checkpointed with the run,
 * and every worker reads it from Redis); each client becomes one job whose data is ids, digests
 * and the server's small JSON setting for the client; a worker writes the client's result back in binary under a
 * key named by the round's content (see `RunKeyspace`), so a result is the same bytes whoever
 * computes it and however often. The trainer collects results as they complete (BullMQ's event
 * stream, with a periodic check of the result keys as a safety net) and hands them over in
 * `cidList` order. A call never hangs: the stop event rejects it at once, and a call that gets no
 * result for `resultTimeoutMs` rejects with a `DistributedError`.
 *
 * The server's evaluation runs on the workers too, as with the thread and process pools: a call
 * whose entries' configurations carry `task: { kind: "evaluate", ... }` queues one evaluation
 * job per shard of the test set (the model only is stored, under the round's downlink key), and
 * each result is the shard's per-batch loss, accuracy and count, signed as a client's result is.
 * @module
 */

import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { AbortError, BlazeFLError, OptionsError } from "../core/errors.js";
import { ThreadStopEvent } from "../core/pool/stop-flags.js";
import { assertDevice } from "../core/pool/trainer-options.js";
import { assertClientIds, assertPositiveInteger } from "../core/validate.js";
import type { AlgorithmDefinition } from "../kit/algorithm.js";
import type { KitClientConfig, KitDownlink, KitUplink } from "../kit/client-runner.js";
import { readStateInto, type StateLocation } from "../kit/client-state-store.js";
import type { KitJobs } from "../kit/kit-trainers.js";
import type { ResolvedModelSpec } from "../models/create-model.js";
import type { ZooModelName } from "../models/model-zoo.js";
import { closeQuietly, withDeadline } from "./deadline.js";
import { DistributedError } from "./errors.js";
import {
  CLIENT_JOB_NAME,
  type ClientJobData,
  EVALUATION_JOB_NAME,
  type EvaluationJobData,
} from "./job-data.js";
import {
  assertKeyName,
  DEFAULT_PREFIX,
  DEFAULT_RUN_ID,
  type EvaluationShardRef,
  type RoundRef,
  RunKeyspace,
} from "./keyspace.js";
import {
  assertTimeoutMs,
  closeRedis,
  connectRedis,
  DEFAULT_CONNECT_TIMEOUT_MS,
  redisOptions,
} from "./redis-connection.js";
import { parseRedisUrl, type RedisConnectionConfig } from "./redis-url.js";
import { type EncodedRunConfig, encodeRunConfig } from "./run-config.js";
import {
  decodeEvaluationResult,
  decodeKitUplink,
  encodeVectors,
  firstNonFinite,
  float32Bytes,
  sha256Hex,
  verifyUplink,
} from "./wire-format.js";

/**
 * Redis workers build zoo models only: a run stored in Redis is data, and a user's model module
 * is code that a worker must not load because a job names it.
 */
function zooModelOnly(spec: ResolvedModelSpec): ZooModelName {
  if (spec.kind === "zoo") return spec.name;
  throw new OptionsError(
    "--model",
    spec.url,
    "a zoo model with --trainer redis (workers never load model code named by Redis data)",
  );
}

/** Options of {@link RedisClientTrainer}. */
export interface RedisClientTrainerOptions {
  /** The algorithm (its name, vector names and options go to workers as data). */
  readonly algorithm: Pick<AlgorithmDefinition, "name" | "downlink">;
  /** The run's shared client configuration (its `algorithm` module reference stays here). */
  readonly config: KitClientConfig;
  /** The run's hooks: each client's configuration (state, setting), sizes, progress. */
  readonly jobs: KitJobs;
  /** The run's device; workers may override it. @default "cpu" */
  readonly device?: string;
  /** The Redis URL: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  readonly url: string;
  /**
   * The run id: the run's queue and keys are named after it, and workers serve the queue of the
   * run id they were started with (`blazefl worker --run-id`).
   * @default "default"
   */
  readonly runId?: string;
  /** The prefix of every key (BullMQ's too). @default "blazefl" */
  readonly prefix?: string;
  /** How long connecting may take, retries included. @default 30000 */
  readonly connectTimeoutMs?: number;
  /**
   * A `localProcess` call that receives no result for this long rejects with a
   * `DistributedError` (for example when no worker is running). @default 600000
   */
  readonly resultTimeoutMs?: number;
  /** How often pending results and job states are checked besides events. @default 1000 */
  readonly pollIntervalMs?: number;
  /** The lifetime of the keys of a round in progress (a safety net if the server dies). @default 86400000 */
  readonly keyTtlMs?: number;
  /** The lifetime of a round's keys once the round is over. @default 60000 */
  readonly finishedRoundTtlMs?: number;
  /** BullMQ attempts per job: a client whose training throws is retried this many times in all. @default 3 */
  readonly attempts?: number;
  /** Extra TLS options for `rediss://` (e.g. `ca`). */
  readonly tls?: TlsConnectionOptions;
  /** Receives notices (e.g. that no worker serves the queue yet). */
  readonly log?: (line: string) => void;
  /**
   * The run's result key (at least 16 bytes): workers sign results with it and only results
   * signed with it are taken. Default: 32 random bytes per trainer, so results of another
   * server process are never taken; pass the same key (kept secret, e.g. in the run's output
   * directory with mode 0600) to let a resumed server reuse the interrupted round's results.
   */
  readonly resultSecret?: Uint8Array;
  /**
   * Each client's number of training samples, when the server knows it (it loads the same
   * dataset): a result whose weight exceeds it is refused (the built-in algorithms weight by
   * data size, or less).
   */
  readonly clientDataSize?: (cid: number) => number;
}

/** Defaults of {@link RedisClientTrainerOptions}. */
export const REDIS_TRAINER_DEFAULTS = {
  connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
  resultTimeoutMs: 600_000,
  pollIntervalMs: 1000,
  keyTtlMs: 86_400_000,
  finishedRoundTtlMs: 60_000,
  attempts: 3,
} as const;

const NO_WORKER_NOTICE_MS = 10_000;
const CLOSE_MS = 5000;

type JobEvent =
  | { readonly kind: "completed" }
  | { readonly kind: "failed"; readonly reason: string };

interface Connected {
  readonly client: Redis;
  readonly queue: Queue;
  readonly events: QueueEvents;
}

/** How one entry of a call travels: a client's training, or a shard of the server's test set. */
interface PlannedJob {
  /** The entry of `cidList` (a client id, or the shard's index for an evaluation). */
  readonly cid: number;
  /** BullMQ's job id. */
  readonly jobId: string;
  /** Where the worker stores the result. */
  readonly resultKey: string;
  /** Names the entry in messages ("client 3", "the evaluation of test batches 0 to 9"). */
  readonly label: string;
  /** The shard, for an evaluation. */
  readonly shard?: EvaluationShardRef;
}

/** "client 3" as the start of a sentence. */
const capitalized = (label: string): string => label.charAt(0).toUpperCase() + label.slice(1);

/** A worker that predates evaluation jobs refuses them by name; say so. */
const OLD_WORKER = /unknown job name "evaluate"/;

interface RoundState {
  readonly ref: RoundRef;
  readonly keys: Set<string>;
  /** The round's model as stored, to store it again if Redis loses it. */
  readonly bytes: Buffer;
}

/**
 * A kit trainer over Redis: the run loop's clients run on `blazefl worker --redis URL`
 * processes, on this machine or any other, bit-identical to the other trainer kinds.
 *
 * @example
 * ```ts
 * // What runExperiment does for --trainer redis:
 * const trainer = new RedisClientTrainer({ url: "redis://:secret@10.0.0.5:6379", algorithm,
 *   config: shared, jobs, runId: "exp-42" });
 * await trainer.start();
 * await trainer.localProcess({ round, model, vectors }, cids);
 * for (const pkg of trainer.uplinkPackage()) fold.add(pkg.cid, pkg);
 * await trainer.shutdown();
 * ```
 */
export class RedisClientTrainer implements AsyncDisposable {
  /** Set it to stop: the call in progress rejects at once with an `AbortError`. */
  readonly stopEvent: ThreadStopEvent = new ThreadStopEvent();
  /** The run's keys and queue. */
  readonly keys: RunKeyspace;
  /** The parsed URL (its `redacted` form is safe to print). */
  readonly connection: RedisConnectionConfig;
  /** Results of the calls so far, in `cidList` order; {@link RedisClientTrainer.uplinkPackage} empties it. */
  cache: KitUplink[] = [];
  readonly #numParameters: number;
  readonly #numClients: number;
  readonly #jobs: KitJobs;
  readonly #downlinkNames: readonly string[];
  readonly #stateFds = new Map<string, number>();
  readonly #config: EncodedRunConfig;
  readonly #options: RedisClientTrainerOptions;
  readonly #timing: typeof REDIS_TRAINER_DEFAULTS;
  #starting: Promise<Connected> | undefined;
  #closed = false;
  readonly #connecting = new AbortController();
  #round: RoundState | undefined;
  #lastCallFailed = false;
  #noticed = false;
  readonly #listeners = new Map<string, (event: JobEvent) => void>();
  readonly #resultSecret: Buffer;
  #tail: Promise<unknown> = Promise.resolve();

  /** @param options - See {@link RedisClientTrainerOptions}; validated here. */
  constructor(options: RedisClientTrainerOptions) {
    if (options === null || typeof options !== "object")
      throw new OptionsError("options", options, "a RedisClientTrainerOptions object");
    for (const key of ["algorithm", "config", "jobs"] as const)
      if (options[key] === null || typeof options[key] !== "object")
        throw new OptionsError(key, options[key], "an object");
    const { jobs, config } = options;
    assertPositiveInteger("jobs.numParameters", jobs.numParameters);
    this.connection = parseRedisUrl(options.url, "url");
    this.keys = new RunKeyspace(options.prefix ?? DEFAULT_PREFIX, options.runId ?? DEFAULT_RUN_ID);
    if (options.runId !== undefined) assertKeyName("runId", options.runId);
    const timing = { ...REDIS_TRAINER_DEFAULTS };
    for (const key of Object.keys(REDIS_TRAINER_DEFAULTS) as (keyof typeof timing)[]) {
      const value = options[key];
      if (value === undefined) continue;
      if (key === "attempts") assertPositiveInteger(key, value);
      else assertTimeoutMs(key, value);
      (timing as Record<string, number>)[key] = value;
    }
    this.#timing = timing;
    if (options.log !== undefined && typeof options.log !== "function")
      throw new OptionsError("log", options.log, "a function");
    const device = options.device ?? "cpu";
    assertDevice("device", device);
    if (
      options.resultSecret !== undefined &&
      (!(options.resultSecret instanceof Uint8Array) || options.resultSecret.byteLength < 16)
    )
      throw new OptionsError(
        "resultSecret",
        options.resultSecret,
        "a Uint8Array of 16 bytes or more",
      );
    if (options.clientDataSize !== undefined && typeof options.clientDataSize !== "function")
      throw new OptionsError("clientDataSize", options.clientDataSize, "a function");
    // The key goes to workers through the run configuration, which carries 32 bytes: a key
    // given is hashed to that size.
    const secret =
      options.resultSecret === undefined
        ? randomBytes(32)
        : createHash("sha256").update(options.resultSecret).digest();
    this.#resultSecret = secret;
    const model = zooModelOnly(config.model);
    try {
      this.#config = encodeRunConfig({
        v: 2,
        algorithm: options.algorithm.name,
        options: config.options,
        training: config.training,
        model,
        dataset: config.dataset,
        numParameters: jobs.numParameters,
        uplink: jobs.uplinkNames,
        downlink: options.algorithm.downlink ?? [],
        stateLength: jobs.stateLength,
        device,
        keyTtlMs: Math.round(timing.keyTtlMs),
        resultKey: secret.toString("hex"),
      });
    } catch (error) {
      throw new OptionsError(
        "config",
        options.config,
        `a client configuration workers accept (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
    this.#numParameters = jobs.numParameters;
    this.#numClients = config.dataset.numClients;
    this.#jobs = jobs;
    this.#downlinkNames = options.algorithm.downlink ?? [];
    this.#options = options;
  }

  /** sha256 (hex) of the run configuration workers read. */
  get configDigest(): string {
    return this.#config.digest;
  }

  /**
   * Connects to Redis (bounded by `connectTimeoutMs`) and stores the run's configuration.
   * Called by the first `localProcess` if not before; idempotent.
   * @throws DistributedError when Redis cannot be reached or refuses the credentials.
   */
  async start(): Promise<void> {
    await this.#unlessStopped(this.#connect(), "start() was stopped: stopEvent was set");
  }

  /** `work`, or an AbortError as soon as the stop event is set (checked first). */
  #unlessStopped<T>(work: Promise<T>, message: string): Promise<T> {
    work.catch(() => {});
    if (this.stopEvent.isSet()) return Promise.reject(new AbortError(message));
    let unsubscribe = (): void => {};
    const stopped = new Promise<never>((_, reject) => {
      unsubscribe = this.stopEvent.onSet(() => reject(new AbortError(message)));
    });
    return Promise.race([work, stopped]).finally(unsubscribe);
  }

  #connect(): Promise<Connected> {
    if (this.#closed)
      return Promise.reject(new DistributedError("The Redis trainer was shut down"));
    if (this.#starting === undefined) {
      const starting = this.#open();
      this.#starting = starting;
      starting.catch(() => {
        if (this.#starting === starting) this.#starting = undefined;
      });
    }
    return this.#starting;
  }

  async #open(): Promise<Connected> {
    const { connectTimeoutMs, keyTtlMs } = this.#timing;
    const tls = this.#options.tls;
    const client = await connectRedis(this.connection, {
      connectTimeoutMs,
      connectionName: `blazefl-server.${this.keys.runId}`,
      signal: this.#connecting.signal,
      ...(tls !== undefined ? { tls } : {}),
    });
    const connection = redisOptions(this.connection, tls !== undefined ? { tls } : {});
    let queue: Queue | undefined;
    let events: QueueEvents | undefined;
    try {
      const q = new Queue(this.keys.queueName, { connection, prefix: this.keys.prefix });
      queue = q;
      q.on("error", () => {});
      await withDeadline(q.waitUntilReady(), connectTimeoutMs, "Connecting the job queue");
      // Listen from the stream's current end: no event of this process's jobs can be missed,
      // whatever the timing of the listener's first read.
      const top = await withDeadline(
        client.xrevrange(this.keys.eventsKey, "+", "-", "COUNT", 1),
        connectTimeoutMs,
        "Reading the queue's event stream",
      );
      events = new QueueEvents(this.keys.queueName, {
        connection,
        prefix: this.keys.prefix,
        lastEventId: top[0]?.[0] ?? "0-0",
      });
      events.on("error", () => {});
      events.on("completed", ({ jobId }) => this.#listeners.get(jobId)?.({ kind: "completed" }));
      events.on("failed", ({ jobId, failedReason }) =>
        this.#listeners.get(jobId)?.({ kind: "failed", reason: failedReason }),
      );
      await withDeadline(events.waitUntilReady(), connectTimeoutMs, "Connecting the job events");
      await withDeadline(
        client.set(this.keys.configKey(this.#config.digest), this.#config.bytes, "PX", keyTtlMs),
        connectTimeoutMs,
        "Storing the run configuration",
      );
      return { client, queue: q, events };
    } catch (error) {
      await closeQuietly(async () => events?.close(), CLOSE_MS);
      await closeQuietly(async () => queue?.close(), CLOSE_MS);
      await closeRedis(client);
      throw error instanceof BlazeFLError
        ? error
        : new DistributedError(
            `Could not set up the job queue on ${this.connection.redacted}: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    }
  }

  /**
   * Queues one job per client of `cidList` (clients whose result is already in Redis are not
   * queued again), waits for every result and appends them to `cache` in `cidList` order.
   * @throws AbortError when the stop event is set; DistributedError when Redis fails, a worker
   *   reports a failure, a result is malformed, or no result arrives for `resultTimeoutMs`.
   */
  localProcess(payload: KitDownlink, cidList: readonly number[]): Promise<void> {
    const task = () => this.#localProcess(payload, cidList);
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => {});
    return result;
  }

  async #localProcess(payload: KitDownlink, cidList: readonly number[]): Promise<void> {
    assertClientIds("cidList", cidList);
    if (this.stopEvent.isSet())
      throw new AbortError(
        "localProcess was not started: stopEvent is set (clear() it to train again)",
      );
    const shards = this.#evaluationShards(cidList);
    if (shards === undefined)
      for (const [i, cid] of cidList.entries())
        if (cid >= this.#numClients)
          throw new OptionsError(`cidList[${i}]`, cid, `a client id below ${this.#numClients}`);
    if (payload === null || typeof payload !== "object")
      throw new OptionsError("payload", payload, "a KitDownlink");
    const { model: modelParameters, round } = payload;
    if (
      !(modelParameters instanceof Float32Array) ||
      modelParameters.length !== this.#numParameters
    )
      throw new OptionsError(
        "payload.model",
        modelParameters,
        `a Float32Array of ${this.#numParameters} values`,
      );
    const vectors: [string, Float32Array][] = [["model", modelParameters]];
    // An evaluation needs the model only, whatever the algorithm broadcasts besides.
    for (const name of shards === undefined ? this.#downlinkNames : []) {
      const v = payload.vectors?.[name];
      if (!(v instanceof Float32Array))
        throw new OptionsError(`payload.vectors.${name}`, v, "a Float32Array");
      const at = firstNonFinite(v);
      if (at >= 0) throw new OptionsError(`payload.vectors.${name}[${at}]`, v[at], "finite");
      vectors.push([name, v]);
    }
    if (!Number.isInteger(round) || round < 0 || round > 0xffff_ffff)
      throw new OptionsError("payload.round", round, "a non-negative integer");
    const bad = firstNonFinite(modelParameters);
    if (bad >= 0) throw new OptionsError(`payload.model[${bad}]`, modelParameters[bad], "finite");
    if (cidList.length === 0) return;
    this.#lastCallFailed = true;
    const stopped = "localProcess was stopped: stopEvent was set";
    const connected = await this.#unlessStopped(this.#connect(), stopped);
    const bytes = encodeVectors(vectors);
    const ref: RoundRef = {
      round,
      downlinkDigest: sha256Hex(bytes),
      configDigest: this.#config.digest,
    };
    await this.#unlessStopped(this.#enterRound(connected, ref, bytes), stopped);
    const plans = cidList.map((cid, i): PlannedJob => {
      const shard = shards?.[i];
      return shard === undefined
        ? {
            cid,
            jobId: this.keys.jobId(ref, cid),
            resultKey: this.keys.resultKey(ref, cid),
            label: `client ${cid}`,
          }
        : {
            cid,
            shard,
            jobId: this.keys.evaluationJobId(ref, shard),
            resultKey: this.keys.evaluationResultKey(ref, shard),
            label: `the evaluation of test batches ${shard.firstBatch} to ${shard.endBatch - 1}`,
          };
    });
    const results = await this.#collect(connected, ref, plans);
    this.cache.push(...cidList.map((cid) => results.get(cid) as KitUplink));
    this.#lastCallFailed = false;
  }

  /**
   * The shards of an evaluation call (every entry's configuration has an evaluation task), or
   * undefined for a training call (none has a task).
   * @throws OptionsError for a mix, a warm-up (Redis workers need none: they stay up across
   *   runs), or a shard that is not whole batches.
   */
  #evaluationShards(cidList: readonly number[]): EvaluationShardRef[] | undefined {
    const tasks = cidList.map((cid) => this.#jobs.configFor(cid).task);
    if (tasks.every((task) => task === undefined)) return undefined;
    return tasks.map((task, i) => {
      if (task?.kind !== "evaluate")
        throw new OptionsError(
          `configFor(${cidList[i]}).task`,
          task,
          "an evaluation task like every other entry of the call (a call evaluates or trains; the Redis trainer runs no warm-up)",
        );
      const { firstBatch, endBatch, batchSize } = task;
      if (
        !Number.isSafeInteger(firstBatch) ||
        !Number.isSafeInteger(endBatch) ||
        !Number.isSafeInteger(batchSize) ||
        firstBatch < 0 ||
        endBatch <= firstBatch ||
        endBatch > 0xffff_ffff ||
        batchSize < 1
      )
        throw new OptionsError(
          `configFor(${cidList[i]}).task`,
          task,
          "whole batches: integers 0 <= firstBatch < endBatch and batchSize >= 1",
        );
      return { firstBatch, endBatch, batchSize };
    });
  }

  /** Stores the round's downlink once, refreshes the configuration, expires the last round. */
  async #enterRound(connected: Connected, ref: RoundRef, bytes: Buffer): Promise<void> {
    const current = this.#round;
    if (
      current !== undefined &&
      current.ref.round === ref.round &&
      current.ref.downlinkDigest === ref.downlinkDigest
    )
      return;
    const { keyTtlMs, resultTimeoutMs } = this.#timing;
    const downKey = this.keys.downlinkKey(ref.round, ref.downlinkDigest);
    const multi = connected.client
      .multi()
      .set(this.keys.configKey(ref.configDigest), this.#config.bytes, "PX", keyTtlMs)
      .set(downKey, bytes, "PX", keyTtlMs);
    await withDeadline(multi.exec(), resultTimeoutMs, "Storing the round's model in Redis");
    if (current !== undefined) await this.#expire(connected, current);
    this.#round = { ref, keys: new Set([downKey]), bytes };
  }

  /**
   * Stores the round's model and the run configuration again when Redis no longer has them
   * (it was restarted without persistence, or evicted them), so re-queued jobs can run.
   * @returns whether anything was missing.
   */
  async #restoreRoundData(connected: Connected, round: RoundState): Promise<boolean> {
    const { keyTtlMs, resultTimeoutMs } = this.#timing;
    const configKey = this.keys.configKey(round.ref.configDigest);
    const downKey = this.keys.downlinkKey(round.ref.round, round.ref.downlinkDigest);
    const present = await withDeadline(
      connected.client.exists(configKey, downKey),
      resultTimeoutMs,
      "Checking the round's model in Redis",
    );
    if (present === 2) return false;
    await withDeadline(
      connected.client
        .multi()
        .set(configKey, this.#config.bytes, "PX", keyTtlMs)
        .set(downKey, round.bytes, "PX", keyTtlMs)
        .exec(),
      resultTimeoutMs,
      "Storing the round's model in Redis again",
    );
    this.#options.log?.(
      `blazefl: Redis had lost round ${round.ref.round}'s model or the run configuration (restarted without persistence?); stored them again`,
    );
    return true;
  }

  /** Shortens the lifetime of a finished round's keys to `finishedRoundTtlMs`. */
  async #expire(connected: Connected, state: RoundState): Promise<void> {
    const multi = connected.client.multi();
    for (const key of state.keys) multi.pexpire(key, this.#timing.finishedRoundTtlMs);
    await withDeadline(multi.exec(), this.#timing.resultTimeoutMs, "Expiring a finished round");
  }

  #jobData(ref: RoundRef, cid: number, stateDigest: string | undefined): ClientJobData {
    const clientConfig = this.#jobs.configFor(cid).clientConfig;
    return {
      v: 2,
      runId: this.keys.runId,
      round: ref.round,
      cid,
      configDigest: ref.configDigest,
      downlinkDigest: ref.downlinkDigest,
      ...(stateDigest !== undefined ? { stateDigest } : {}),
      ...(clientConfig !== undefined ? { clientConfig } : {}),
    };
  }

  /** Client `cid`'s committed state, read from the run's state store, or undefined. */
  #stateOf(cid: number): Buffer | undefined {
    const location: StateLocation | undefined = this.#jobs.configFor(cid).state;
    if (location === undefined) return undefined;
    let fd = this.#stateFds.get(location.path);
    if (fd === undefined) {
      fd = openSync(location.path, "r");
      this.#stateFds.set(location.path, fd);
    }
    const state = new Float32Array(this.#jobs.stateLength);
    readStateInto(fd, location.offset, state);
    return float32Bytes(state);
  }

  #evaluationJobData(ref: RoundRef, shard: EvaluationShardRef): EvaluationJobData {
    return {
      v: 3,
      runId: this.keys.runId,
      round: ref.round,
      configDigest: ref.configDigest,
      downlinkDigest: ref.downlinkDigest,
      firstBatch: shard.firstBatch,
      endBatch: shard.endBatch,
      batchSize: shard.batchSize,
    };
  }

  async #addJobs(connected: Connected, ref: RoundRef, planned: readonly PlannedJob[]) {
    if (planned.length === 0) return;
    const round = this.#round;
    if (round !== undefined) await this.#restoreRoundData(connected, round);
    // States go in before their jobs: a worker may take a job the moment it is added.
    const digests = new Map<number, string>();
    const multi = connected.client.multi();
    for (const { cid, shard } of planned) {
      if (shard !== undefined) continue;
      const state = this.#stateOf(cid);
      if (state === undefined) continue;
      const key = this.keys.stateKey(ref, cid);
      multi.set(key, state, "PX", this.#timing.keyTtlMs);
      round?.keys.add(key);
      digests.set(cid, sha256Hex(state));
    }
    if (digests.size > 0)
      await withDeadline(multi.exec(), this.#timing.resultTimeoutMs, "Storing client states");
    await connected.queue.addBulk(
      planned.map(({ cid, shard, jobId }) => ({
        name: shard === undefined ? CLIENT_JOB_NAME : EVALUATION_JOB_NAME,
        data:
          shard === undefined
            ? this.#jobData(ref, cid, digests.get(cid))
            : this.#evaluationJobData(ref, shard),
        opts: {
          jobId,
          attempts: this.#timing.attempts,
          backoff: { type: "exponential", delay: 500 },
          removeOnComplete: true,
          removeOnFail: { age: Math.ceil(this.#timing.keyTtlMs / 1000) },
        },
      })),
    );
  }

  async #collect(
    connected: Connected,
    ref: RoundRef,
    planned: readonly PlannedJob[],
  ): Promise<Map<number, KitUplink>> {
    const { client, queue } = connected;
    const { resultTimeoutMs, pollIntervalMs, attempts } = this.#timing;
    const round = this.#round as RoundState;
    const plans = new Map(planned.map((plan) => [plan.cid, plan]));
    const cids = planned.map((plan) => plan.cid);
    const results = new Map<number, KitUplink>();
    const pending = new Set(cids);
    const reAdded = new Map<number, number>();
    const started = performance.now();
    let settled = false;
    let resolveDone!: () => void;
    let rejectDone!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    let idleTimer: NodeJS.Timeout | undefined;
    let pollTimer: NodeJS.Timeout | undefined;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolveDone();
      else rejectDone(error);
    };
    const fail = (error: unknown): void =>
      settle(
        error instanceof BlazeFLError
          ? error
          : new DistributedError(
              `Round ${ref.round}: Redis failed: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            ),
      );
    const armIdle = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        void this.#idleError(
          queue,
          ref,
          [...pending].map((cid) => plans.get(cid) as PlannedJob),
        ).then(fail);
      }, resultTimeoutMs);
    };
    /** Checks a verified result and makes it the entry's package. */
    const decode = (plan: PlannedJob, bytes: Uint8Array): KitUplink => {
      const { cid, shard } = plan;
      if (shard !== undefined) {
        const evaluation = decodeEvaluationResult(bytes, { round: ref.round, ...shard });
        const metrics: Record<string, number> = {};
        for (let i = 0; i < shard.endBatch - shard.firstBatch; i++) {
          const b = shard.firstBatch + i;
          metrics[`loss:${b}`] = evaluation.loss[i] as number;
          metrics[`accuracy:${b}`] = evaluation.accuracy[i] as number;
          metrics[`count:${b}`] = evaluation.count[i] as number;
        }
        return { cid, weight: 0, steps: 0, metrics, vectors: {} };
      }
      const pkg = decodeKitUplink(bytes, {
        cid,
        round: ref.round,
        uplinkNames: this.#jobs.uplinkNames,
        numParameters: this.#numParameters,
        stateLength: this.#jobs.stateLength,
      });
      const dataSize = this.#options.clientDataSize?.(cid);
      if (dataSize !== undefined && pkg.weight > dataSize)
        throw new DistributedError(
          `The result of client ${cid} (round ${ref.round}) has weight ${pkg.weight}, more than the client's ${dataSize} samples`,
        );
      return pkg;
    };
    /** Fetches, checks and keeps entry `cid`'s result; false when it is not there yet. */
    const fetchResult = async (cid: number): Promise<boolean> => {
      if (!pending.has(cid)) return true;
      const plan = plans.get(cid) as PlannedJob;
      const key = plan.resultKey;
      const signed = await client.getBuffer(key);
      if (signed === null) return false;
      if (!pending.has(cid)) return true;
      const bytes = verifyUplink(signed, this.#resultSecret, key);
      if (bytes === undefined) {
        // Not signed with this run's key: forged, or left by another server process. Drop it
        // and let the job run (re-queued a bounded number of times).
        await client.del(key);
        this.#options.log?.(
          `blazefl: ignored a result for ${plan.label} (round ${ref.round}) not signed with this run's key (forged, or from another server process)`,
        );
        return false;
      }
      const pkg = decode(plan, bytes);
      pending.delete(cid);
      results.set(cid, pkg);
      round.keys.add(key);
      // Evaluation shards are not clients: no progress, no aggregation.
      if (plan.shard === undefined) this.#jobs.onClientDone?.(cid, pkg);
      armIdle();
      if (pending.size === 0) settle();
      return true;
    };
    const failedJob = async (cid: number, reason: string | undefined): Promise<void> => {
      if (await fetchResult(cid)) return;
      const plan = plans.get(cid) as PlannedJob;
      if (await this.#restoreRoundData(connected, round)) {
        // The worker was right: Redis had lost what the job needs. Run it again.
        const times = (reAdded.get(cid) ?? 0) + 1;
        reAdded.set(cid, times);
        if (times <= attempts) {
          await queue.remove(plan.jobId);
          await this.#addJobs(connected, ref, [plan]);
          return;
        }
      }
      const hint =
        plan.shard !== undefined && OLD_WORKER.test(reason ?? "")
          ? " (that worker predates evaluation jobs: run the server's BlazeFL version on every worker)"
          : "";
      fail(
        new DistributedError(
          `${capitalized(plan.label)} (round ${ref.round}) failed on a worker: ${reason ?? "no reason given"}${hint}`,
        ),
      );
    };
    const check = async (cid: number): Promise<void> => {
      if (await fetchResult(cid)) return;
      const plan = plans.get(cid) as PlannedJob;
      const jobId = plan.jobId;
      const state = await queue.getJobState(jobId);
      if (state === "failed") {
        const job = await queue.getJob(jobId);
        await failedJob(cid, job?.failedReason);
      } else if (state === "unknown" || state === "completed") {
        // Gone (or done) without a result: queue it again, a bounded number of times.
        if (await fetchResult(cid)) return;
        const times = (reAdded.get(cid) ?? 0) + 1;
        reAdded.set(cid, times);
        if (times > attempts) {
          fail(
            new DistributedError(
              `${capitalized(plan.label)} (round ${ref.round}): its job ${jobId} ended ${times - 1} times without a result`,
            ),
          );
          return;
        }
        if (state === "completed") await queue.remove(jobId);
        await this.#addJobs(connected, ref, [plan]);
      }
    };
    const poll = async (): Promise<void> => {
      try {
        await Promise.all([...pending].map(check));
        if (
          !this.#noticed &&
          results.size === 0 &&
          performance.now() - started > NO_WORKER_NOTICE_MS &&
          (await this.#workerCount(queue)) === 0
        ) {
          this.#noticed = true;
          this.#options.log?.(
            `blazefl: no worker serves queue ${this.keys.queueName} yet; start one with: blazefl worker --redis ${this.connection.redacted} --run-id ${this.keys.runId}`,
          );
        }
      } catch (error) {
        // A malformed result fails the call; Redis trouble waits for the next poll (the idle
        // timeout bounds the wait).
        if (error instanceof BlazeFLError) fail(error);
      } finally {
        if (!settled) pollTimer = setTimeout(() => void poll(), pollIntervalMs);
      }
    };
    const initial = async (): Promise<void> => {
      const found = await Promise.all(cids.map(fetchResult));
      const missing = planned.filter((_, i) => found[i] !== true);
      if (missing.length === 0) return;
      const states = await Promise.all(missing.map((plan) => queue.getJobState(plan.jobId)));
      const toAdd: PlannedJob[] = [];
      for (const [i, plan] of missing.entries()) {
        const state = states[i];
        if (state === "unknown") toAdd.push(plan);
        else if (state === "failed" || state === "completed") {
          // Left by an earlier server (a restart): give the job a fresh set of attempts.
          await queue.remove(plan.jobId);
          toAdd.push(plan);
        }
      }
      await this.#addJobs(connected, ref, toAdd);
    };

    for (const plan of planned)
      this.#listeners.set(plan.jobId, (event) => {
        if (event.kind === "completed")
          fetchResult(plan.cid).then(() => {}, fail); // not there yet: the poll finds it
        else failedJob(plan.cid, event.reason).catch(fail);
      });
    const unsubscribe = this.stopEvent.onSet(() =>
      fail(new AbortError("localProcess was stopped: stopEvent was set")),
    );
    armIdle();
    initial().then(() => {
      if (!settled) pollTimer = setTimeout(() => void poll(), pollIntervalMs);
    }, fail);
    try {
      await done;
      return results;
    } finally {
      clearTimeout(idleTimer);
      clearTimeout(pollTimer);
      unsubscribe();
      for (const plan of planned) this.#listeners.delete(plan.jobId);
    }
  }

  async #workerCount(queue: Queue): Promise<number | undefined> {
    try {
      return await withDeadline(queue.getWorkersCount(), 2000, "Counting workers");
    } catch {
      return undefined;
    }
  }

  async #idleError(
    queue: Queue,
    ref: RoundRef,
    pending: readonly PlannedJob[],
  ): Promise<DistributedError> {
    const workers = await this.#workerCount(queue);
    const evaluation = pending.some((plan) => plan.shard !== undefined);
    const waiting = evaluation
      ? `No evaluation result for ${this.#timing.resultTimeoutMs} ms in round ${ref.round}; still waiting for ${pending.map((plan) => plan.label).join(", ")}. `
      : `No client result for ${this.#timing.resultTimeoutMs} ms in round ${ref.round}; still waiting for client${pending.length === 1 ? "" : "s"} ${pending.map((plan) => plan.cid).join(", ")}. `;
    return new DistributedError(
      waiting +
        `${workers === undefined ? "The number of" : workers} worker${workers === 1 ? "" : "s"} serve${workers === 1 ? "s" : ""} queue ${this.keys.queueName} on ${this.connection.redacted}` +
        ` (start workers with: blazefl worker --redis URL --run-id ${this.keys.runId})`,
    );
  }

  /** Returns the cached packages and empties the cache. */
  uplinkPackage(): KitUplink[] {
    const packages = this.cache;
    this.cache = [];
    return packages;
  }

  /**
   * Waits for the call in progress, expires the last round's keys when it finished (an
   * interrupted round keeps them, so a resumed server reuses its results), and closes every
   * connection. Idempotent; never hangs.
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connecting.abort();
    await this.#tail;
    const starting = this.#starting;
    if (starting === undefined) return;
    let connected: Connected;
    try {
      connected = await starting;
    } catch {
      return;
    }
    if (!this.#lastCallFailed) {
      const round = this.#round;
      if (round !== undefined) round.keys.add(this.keys.configKey(this.#config.digest));
      await closeQuietly(
        async () =>
          round !== undefined ? this.#expire(connected, round) : Promise.resolve(undefined),
        CLOSE_MS,
      );
    }
    await closeQuietly(() => connected.events.close(), CLOSE_MS);
    await closeQuietly(() => connected.queue.close(), CLOSE_MS);
    await closeRedis(connected.client);
    for (const fd of this.#stateFds.values()) closeSync(fd);
    this.#stateFds.clear();
    this.stopEvent.close();
  }

  /** Same as {@link RedisClientTrainer.shutdown}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
