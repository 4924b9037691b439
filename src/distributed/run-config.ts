/**
 * {@link RedisRunConfig}: what a worker needs besides the downlink, stored once per run in Redis
 * as canonical JSON and named by its sha256. Workers check the digest and then the content,
 * strictly: only known fields, only data. The algorithm is a name the worker looks up among the
 * algorithms it was started with; no module path or code ever travels.
 * @module
 */

import { z } from "zod";
import { assertDevice } from "../core/pool/trainer-options.js";
import {
  type FederatedDatasetSpec,
  resolveFederatedDatasetSpec,
} from "../data/federated/federated-dataset-spec.js";
import type { LocalTrainingConfig } from "../kit/algorithm.js";
import type { JsonValue } from "../kit/server-optimizer.js";
import { ZOO_MODEL_NAMES, type ZooModelName } from "../models/model-zoo.js";
import { DistributedError } from "./errors.js";
import { sha256Hex } from "./wire-format.js";

/** A run's configuration as workers read it: data only (an algorithm is named, never located). */
export interface RedisRunConfig {
  /** The format version, 2. */
  readonly v: 2;
  /** The algorithm's name; a worker runs it only if it was started with it. */
  readonly algorithm: string;
  /** The algorithm's options, as its schema gave them on the server (workers check them again). */
  readonly options: JsonValue;
  /** The shared local-training settings. */
  readonly training: LocalTrainingConfig;
  /** The model every client trains. */
  readonly model: ZooModelName;
  /** The federated dataset. */
  readonly dataset: FederatedDatasetSpec;
  /** The model's parameter count: each uplink vector's length. */
  readonly numParameters: number;
  /** The algorithm's uplink vector names, in order. */
  readonly uplink: readonly string[];
  /** The names of the vectors the server broadcasts besides the model, in order. */
  readonly downlink: readonly string[];
  /** The per-client state length (0: none). */
  readonly stateLength: number;
  /** The run's device; a worker may override it (`--device`). */
  readonly device: string;
  /** How long a worker keeps a result (milliseconds); the server shortens it once used. */
  readonly keyTtlMs: number;
  /**
   * The run's result key (64 hex digits), made by the server: workers sign each result with it
   * (see `signUplink`) and the server takes only results signed with it.
   */
  readonly resultKey?: string;
}

/** The largest configuration a worker reads (an algorithm's options are small JSON). */
export const MAX_RUN_CONFIG_BYTES = 64 * 1024;

const finite = z.number().finite();
const nonNegative = finite.min(0);
const vectorName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);

const datasetSchema = z
  .object({
    dataset: z.enum(["synthetic", "fashion-mnist", "mnist", "cifar10"]),
    dataDir: z.string().min(1).max(4096).optional(),
    numClients: z.number().int().min(1).max(0xffff_ffff),
    partition: z.string().min(1).max(200),
    seed: z.number().int().min(0).max(0xffff_ffff),
    normalize: z.enum(["none", "mean-std"]).optional(),
    minClientSize: z.number().int().min(0).optional(),
    synthetic: z
      .object({
        alpha: nonNegative.optional(),
        beta: nonNegative.optional(),
        iid: z.boolean().optional(),
        maxClientSize: z.number().int().min(2).optional(),
        serverTestClients: z.number().int().min(1).optional(),
        cacheClients: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const runConfigSchema = z
  .object({
    v: z.literal(2),
    algorithm: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
    options: z.json(),
    training: z
      .object({
        seed: z.number().int().min(0).max(0xffff_ffff),
        epochs: z.number().int().min(1).max(1_000_000),
        batchSize: z
          .number()
          .int()
          .min(1)
          .max(1 << 24),
        lr: finite.positive(),
        momentum: nonNegative.lt(1),
        weightDecay: nonNegative,
      })
      .strict(),
    model: z.enum(ZOO_MODEL_NAMES),
    dataset: datasetSchema,
    numParameters: z.number().int().min(1).max(0x3fff_ffff),
    uplink: z.array(vectorName).min(1).max(64),
    downlink: z.array(vectorName).max(64),
    stateLength: z.number().int().min(0).max(0x3fff_ffff),
    device: z.string().min(1).max(64),
    keyTtlMs: z.number().int().min(1),
    resultKey: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .strict();

/** Sorts object keys recursively, so equal configurations give equal bytes. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** A configuration's bytes and their digest. */
export interface EncodedRunConfig {
  /** Canonical JSON (UTF-8). */
  readonly bytes: Buffer;
  /** sha256 of `bytes`, hex. */
  readonly digest: string;
}

/** Encodes a configuration as canonical JSON; validates it first, as workers will. */
export function encodeRunConfig(config: RedisRunConfig): EncodedRunConfig {
  const bytes = Buffer.from(JSON.stringify(canonical(config)), "utf8");
  checkRunConfig(JSON.parse(bytes.toString("utf8")) as unknown);
  return { bytes, digest: sha256Hex(bytes) };
}

function checkRunConfig(value: unknown): RedisRunConfig {
  const parsed = runConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where =
      issue?.code === "unrecognized_keys"
        ? `unknown field ${JSON.stringify(issue.keys[0])}${issue.path.length > 0 ? ` in ${issue.path.join(".")}` : ""}`
        : `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`;
    throw new DistributedError(`Malformed run configuration (${where})`);
  }
  const config = parsed.data as RedisRunConfig;
  try {
    resolveFederatedDatasetSpec(config.dataset);
    assertDevice("device", config.device);
  } catch (error) {
    throw new DistributedError(
      `Malformed run configuration (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  return config;
}

/**
 * Decodes a configuration read from Redis: its sha256 must be `digest`, and its content must
 * pass the schema (unknown fields are refused) and the dataset's own checks.
 * @throws DistributedError saying what is wrong.
 */
export function decodeRunConfig(bytes: Uint8Array, digest: string): RedisRunConfig {
  if (bytes.byteLength > MAX_RUN_CONFIG_BYTES)
    throw new DistributedError(
      `The run configuration has ${bytes.byteLength} bytes, more than the ${MAX_RUN_CONFIG_BYTES} a worker reads`,
    );
  const actual = sha256Hex(bytes);
  if (actual !== digest)
    throw new DistributedError(
      `The run configuration's digest is ${actual.slice(0, 16)}..., the job expects ${digest.slice(0, 16)}...`,
    );
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new DistributedError("The run configuration is not JSON", { cause: error });
  }
  return checkRunConfig(value);
}
