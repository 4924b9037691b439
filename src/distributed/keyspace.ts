/**
 * {@link RunKeyspace}: every Redis key a distributed run uses, namespaced by a prefix and a run
 * id. Rounds are content-addressed: a round's keys carry digests of its downlink and of the run's
 * client configuration, so a key's value is a pure function of its name, whoever wrote it.
 *
 * Layout (`P` the prefix, `R` the run id, `d`/`c` the first 16 hex digits of the downlink and
 * config sha256, `n` the round, `k` the client id):
 * - `P:clients-R:*`: the BullMQ queue of run R;
 * - `P:run:R:config:c`: the run's client configuration (JSON);
 * - `P:run:R:rn:down:d`: round n's global model (raw float32 bytes);
 * - `P:run:R:rn:state:d.c:k`: client k's state for that round (float32 bytes);
 * - `P:run:R:rn:up:d.c:k`: client k's result for that round (see `encodeKitUplink`);
 * - `P:run:R:rn:eval:d.c:a-b.s`: the evaluation of test batches a to b - 1 (of s samples) of
 *   the model with digest d (see `encodeEvaluationResult`);
 * - job ids `rn.d.c.ck` (clients) and `rn.d.c.ea-b.s` (evaluation shards).
 * @module
 */
import { OptionsError } from "../core/errors.js";

/** The default key prefix. */
export const DEFAULT_PREFIX = "blazefl";
/** The run id servers and workers use when none is given. */
export const DEFAULT_RUN_ID = "default";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A sha256 digest as 64 lowercase hex digits. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Throws an {@link OptionsError} unless `value` is a valid run id or prefix. */
export function assertKeyName(option: string, value: unknown): asserts value is string {
  if (typeof value !== "string" || !NAME.test(value))
    throw new OptionsError(
      option,
      value,
      "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
    );
}

/** The identity of one round's work: everything a client result depends on. */
export interface RoundRef {
  /** The 0-based round. */
  readonly round: number;
  /** sha256 (hex) of the downlink's float32 bytes. */
  readonly downlinkDigest: string;
  /** sha256 (hex) of the run configuration's JSON bytes. */
  readonly configDigest: string;
}

/** A shard of the server's test set: batches `firstBatch` to `endBatch - 1` of `batchSize`. */
export interface EvaluationShardRef {
  /** The first batch. */
  readonly firstBatch: number;
  /** One past the last batch. */
  readonly endBatch: number;
  /** The batch size (the results depend on it, so it is part of the name). */
  readonly batchSize: number;
}

const short = (digest: string): string => digest.slice(0, 16);
const range = (shard: EvaluationShardRef): string =>
  `${shard.firstBatch}-${shard.endBatch}.${shard.batchSize}`;

/** The keys, queue name and job ids of one run. */
export class RunKeyspace {
  /** The key prefix (BullMQ's `prefix` too). */
  readonly prefix: string;
  /** The run id. */
  readonly runId: string;

  /**
   * @param prefix - See {@link DEFAULT_PREFIX}.
   * @param runId - See {@link DEFAULT_RUN_ID}.
   */
  constructor(prefix: string = DEFAULT_PREFIX, runId: string = DEFAULT_RUN_ID) {
    assertKeyName("prefix", prefix);
    assertKeyName("runId", runId);
    this.prefix = prefix;
    this.runId = runId;
  }

  /** The BullMQ queue of this run: workers started with this run id listen to it. */
  get queueName(): string {
    return `clients-${this.runId}`;
  }

  /** The common start of this run's data keys. */
  get base(): string {
    return `${this.prefix}:run:${this.runId}`;
  }

  /** The BullMQ event stream of this run's queue. */
  get eventsKey(): string {
    return `${this.prefix}:${this.queueName}:events`;
  }

  /** The run configuration with this digest. */
  configKey(configDigest: string): string {
    return `${this.base}:config:${short(configDigest)}`;
  }

  /** The downlink of `round` with this digest. */
  downlinkKey(round: number, downlinkDigest: string): string {
    return `${this.base}:r${round}:down:${short(downlinkDigest)}`;
  }

  /** Client `cid`'s state as the job of `ref` reads it. */
  stateKey(ref: RoundRef, cid: number): string {
    return `${this.base}:r${ref.round}:state:${short(ref.downlinkDigest)}.${short(ref.configDigest)}:${cid}`;
  }

  /** Client `cid`'s result for `ref`. */
  resultKey(ref: RoundRef, cid: number): string {
    return `${this.base}:r${ref.round}:up:${short(ref.downlinkDigest)}.${short(ref.configDigest)}:${cid}`;
  }

  /** The BullMQ job id of client `cid` in `ref` (no ':' and not an integer, as BullMQ wants). */
  jobId(ref: RoundRef, cid: number): string {
    return `r${ref.round}.${short(ref.downlinkDigest)}.${short(ref.configDigest)}.c${cid}`;
  }

  /**
   * The evaluation of `shard` with `ref`'s model. Apart from client results (`:eval:`, not
   * `:up:`), so an evaluation result can never be taken for a client's, nor signed as one.
   */
  evaluationResultKey(ref: RoundRef, shard: EvaluationShardRef): string {
    return `${this.base}:r${ref.round}:eval:${short(ref.downlinkDigest)}.${short(ref.configDigest)}:${range(shard)}`;
  }

  /** The BullMQ job id of the evaluation of `shard` in `ref`. */
  evaluationJobId(ref: RoundRef, shard: EvaluationShardRef): string {
    return `r${ref.round}.${short(ref.downlinkDigest)}.${short(ref.configDigest)}.e${range(shard)}`;
  }
}
