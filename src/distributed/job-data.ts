/**
 * The data of one BullMQ job: ids and numbers only, never code, module paths or anything a
 * worker evaluates. Workers check it strictly with {@link parseJobData}.
 * @module
 */
import { z } from "zod";
import { DistributedError } from "../core/errors.js";
import { SHA256_HEX } from "./keyspace.js";

/** The name of every job (BullMQ's `name`); workers reject any other. */
export const FEDAVG_JOB_NAME = "fedavg-client";

/** One client's job. */
export interface FedAvgJobData {
  /** The format version, 1. */
  readonly v: 1;
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
}

const uint32 = z.number().int().min(0).max(0xffff_ffff);

const jobDataSchema = z
  .object({
    v: z.literal(1),
    runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
    round: uint32,
    cid: uint32,
    configDigest: z.string().regex(SHA256_HEX),
    downlinkDigest: z.string().regex(SHA256_HEX),
  })
  .strict();

/**
 * Checks a job's data.
 * @throws DistributedError naming the first bad field.
 */
export function parseJobData(value: unknown): FedAvgJobData {
  const parsed = jobDataSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue?.code === "unrecognized_keys"
        ? `unknown field ${JSON.stringify(issue.keys[0])}`
        : `field ${JSON.stringify(issue?.path.join(".") ?? "")}: ${issue?.message ?? "invalid"}`;
    throw new DistributedError(`Malformed job data (${field})`);
  }
  return parsed.data;
}
