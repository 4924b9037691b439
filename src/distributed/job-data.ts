/**
 * The data of one BullMQ job: ids, digests and the server's small JSON setting for the client,
 * never code, module paths or anything a worker evaluates. Workers check it strictly with {@link parseJobData}.
 * @module
 */
import { z } from "zod";
import type { JsonValue } from "../kit/server-optimizer.js";
import { DistributedError } from "./errors.js";
import { SHA256_HEX } from "./keyspace.js";

/** The name of every job (BullMQ's `name`); workers reject any other. */
export const CLIENT_JOB_NAME = "client";

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
 * Checks a job's data.
 * @throws DistributedError naming the first bad field.
 */
export function parseJobData(value: unknown): ClientJobData {
  const parsed = jobDataSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue?.code === "unrecognized_keys"
        ? `unknown field ${JSON.stringify(issue.keys[0])}`
        : `field ${JSON.stringify(issue?.path.join(".") ?? "")}: ${issue?.message ?? "invalid"}`;
    throw new DistributedError(`Malformed job data (${field})`);
  }
  return parsed.data as ClientJobData;
}
