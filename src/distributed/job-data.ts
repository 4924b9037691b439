/**
 * The data of one BullMQ job: ids, digests and the server's small JSON setting for the client
 * (a client's training, {@link parseJobData}), or ids, digests and a batch range (a shard of the
 * server's test set, {@link parseEvaluationJobData}); never code, module paths or anything a
 * worker evaluates. Workers check it strictly.
 * @module
 */
import { z } from "zod";
import type { JsonValue } from "../kit/server-optimizer.js";
import { DistributedError } from "./errors.js";
import { SHA256_HEX } from "./keyspace.js";

/** The name of a client's training job (BullMQ's `name`); workers reject names they do not know. */
export const CLIENT_JOB_NAME = "client";

/**
 * The name of an evaluation job. Workers that predate evaluation jobs reject it by name
 * (`unknown job name "evaluate"`), so a mixed fleet fails loudly instead of mis-reading one.
 */
export const EVALUATION_JOB_NAME = "evaluate";

/** The largest per-client configuration a job carries, as JSON. */
export const MAX_CLIENT_CONFIG_BYTES = 4096;

/** One client's job. */
export interface ClientJobData {
  /** The format version, 2. */
  readonly v: 2;
  /** The run the job belongs to (a worker started for another run rejects it). */
  readonly runId: string;
  /** The 0-based round. */
  readonly round: number;
  /** The client to train. */
  readonly cid: number;
  /** sha256 (hex) of the run configuration's JSON bytes. */
  readonly configDigest: string;
  /** sha256 (hex) of the round's downlink bytes. */
  readonly downlinkDigest: string;
  /** sha256 (hex) of the client's state as stored for this job; absent before its first round. */
  readonly stateDigest?: string;
  /** The server's setting for this client this round (`ServerPart.clientConfig`), if any. */
  readonly clientConfig?: JsonValue;
}

const uint32 = z.number().int().min(0).max(0xffff_ffff);

const jobDataSchema = z
  .object({
    v: z.literal(2),
    runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
    round: uint32,
    cid: uint32,
    configDigest: z.string().regex(SHA256_HEX),
    downlinkDigest: z.string().regex(SHA256_HEX),
    stateDigest: z.string().regex(SHA256_HEX).optional(),
    clientConfig: z
      .json()
      .refine((v) => JSON.stringify(v).length <= MAX_CLIENT_CONFIG_BYTES, {
        message: `at most ${MAX_CLIENT_CONFIG_BYTES} bytes of JSON`,
      })
      .optional(),
  })
  .strict();

/**
 * One shard of the server's test set: evaluate the round's model on test batches `firstBatch`
 * to `endBatch - 1` of `batchSize` samples. The worker bounds `batchSize` by its
 * `--max-batch-size` and the range by the run's test set, and sends back only the per-batch
 * loss, accuracy and count (see `encodeEvaluationResult`).
 */
export interface EvaluationJobData {
  /**
   * The format version, 3: a version of its own, so that a worker that knows only client jobs
   * (version 2) refuses it by its data too, not only by its name.
   */
  readonly v: 3;
  /** The run the job belongs to (a worker started for another run rejects it). */
  readonly runId: string;
  /** The round whose model is evaluated (the number of rounds completed). */
  readonly round: number;
  /** sha256 (hex) of the run configuration's JSON bytes. */
  readonly configDigest: string;
  /** sha256 (hex) of the evaluated model's bytes (a downlink holding the model only). */
  readonly downlinkDigest: string;
  /** The shard's first test batch. */
  readonly firstBatch: number;
  /** One past its last test batch (more than `firstBatch`). */
  readonly endBatch: number;
  /** The evaluation batch size. */
  readonly batchSize: number;
}

const evaluationJobDataSchema = z
  .object({
    v: z.literal(3),
    runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
    round: uint32,
    configDigest: z.string().regex(SHA256_HEX),
    downlinkDigest: z.string().regex(SHA256_HEX),
    firstBatch: uint32,
    endBatch: uint32,
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(1 << 24),
  })
  .strict()
  .refine((data) => data.endBatch > data.firstBatch, {
    message: "endBatch must be more than firstBatch",
    path: ["endBatch"],
  });

/** The first issue of a failed parse, as `Malformed job data (...)`. */
function malformed(error: z.ZodError): DistributedError {
  const issue = error.issues[0];
  const field =
    issue?.code === "unrecognized_keys"
      ? `unknown field ${JSON.stringify(issue.keys[0])}`
      : `field ${JSON.stringify(issue?.path.join(".") ?? "")}: ${issue?.message ?? "invalid"}`;
  return new DistributedError(`Malformed job data (${field})`);
}

/**
 * Checks a client job's data.
 * @throws DistributedError naming the first bad field.
 */
export function parseJobData(value: unknown): ClientJobData {
  const parsed = jobDataSchema.safeParse(value);
  if (!parsed.success) throw malformed(parsed.error);
  return parsed.data as ClientJobData;
}

/**
 * Checks an evaluation job's data (its shape and that the range is not empty; the worker checks
 * the range against the test set and the batch size against its limit).
 * @throws DistributedError naming the first bad field.
 */
export function parseEvaluationJobData(value: unknown): EvaluationJobData {
  const parsed = evaluationJobDataSchema.safeParse(value);
  if (!parsed.success) throw malformed(parsed.error);
  return parsed.data as EvaluationJobData;
}
