/**
 * The binary values a distributed run keeps in Redis: named float32 vectors (little-endian, as
 * every platform Node runs on) behind a small JSON header (see {@link encodeVectors}), for a
 * round's downlink, a client's state and a client's result (see {@link encodeKitUplink}); and a
 * shard's evaluation, per-batch float64 numbers behind a header of kind `"evaluation"` (see
 * {@link encodeEvaluationResult}). Results of both kinds are signed ({@link signUplink}).
 * Decoding checks everything and throws a {@link DistributedError} that says what did not match.
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { KitUplink } from "../kit/client-runner.js";
import { DistributedError } from "./errors.js";

/** sha256 of `bytes` as 64 lowercase hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The bytes of `values`, without copying. */
export function float32Bytes(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** The index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return i;
  return -1;
}

/**
 * Reads `length` float32 values from `bytes` (copied, so the result is aligned and owns its
 * memory).
 * @throws DistributedError when the size is not exactly `length` values or a value is not
 *   finite; `what` names the value in the message.
 */
export function decodeFloat32(bytes: Uint8Array, length: number, what: string): Float32Array {
  if (bytes.byteLength !== length * 4)
    throw new DistributedError(
      `${what} has ${bytes.byteLength} bytes, expected ${length * 4} (${length} float32 values)`,
    );
  const values = new Float32Array(length);
  new Uint8Array(values.buffer).set(bytes);
  const bad = firstNonFinite(values);
  if (bad >= 0)
    throw new DistributedError(`${what} has a non-finite value at index ${bad} (${values[bad]})`);
  return values;
}

/** A JSON header's largest size in a vectors blob (ids, names and a few numbers fit easily). */
const MAX_VECTORS_HEADER_BYTES = 64 * 1024;

/** What {@link decodeVectors} returns. */
export interface DecodedVectors {
  /** The header's `meta` value (JSON). */
  readonly meta: unknown;
  /** The vectors by name, in the blob's order (copies: aligned and owned). */
  readonly vectors: ReadonlyMap<string, Float32Array>;
}

/**
 * Named float32 vectors and a JSON `meta` value as one blob: a u32 (little-endian) header length,
 * the JSON header `{ meta, vectors: [{ name, length }] }`, then the vectors' float32 bytes in
 * that order. Used for a round's downlink and a client's result; the same input always gives the
 * same bytes.
 */
export function encodeVectors(
  vectors: readonly (readonly [string, Float32Array])[],
  meta: unknown = null,
): Buffer {
  const header = Buffer.from(
    JSON.stringify({ meta, vectors: vectors.map(([name, v]) => ({ name, length: v.length })) }),
    "utf8",
  );
  const parts: Buffer[] = [Buffer.alloc(4), header, ...vectors.map(([, v]) => float32Bytes(v))];
  (parts[0] as Buffer).writeUInt32LE(header.length, 0);
  return Buffer.concat(parts);
}

/**
 * Reads a blob of {@link encodeVectors}, checking its structure, that its vectors are exactly
 * `expected`'s names with their lengths (any length where it is undefined), in that order, and
 * that every value is finite.
 * @param what - Names the blob in errors.
 * @throws DistributedError saying what does not match.
 */
export function decodeVectors(
  bytes: Uint8Array,
  expected: readonly (readonly [string, number | undefined])[],
  what: string,
): DecodedVectors {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < 4)
    throw new DistributedError(`${what} is truncated (${buf.byteLength} bytes)`);
  const headerLength = buf.readUInt32LE(0);
  if (headerLength > MAX_VECTORS_HEADER_BYTES || 4 + headerLength > buf.byteLength)
    throw new DistributedError(`${what} has a bad header length (${headerLength})`);
  let header: { meta?: unknown; vectors?: unknown };
  try {
    header = JSON.parse(buf.subarray(4, 4 + headerLength).toString("utf8")) as typeof header;
  } catch {
    throw new DistributedError(`${what} has a header that is not JSON`);
  }
  const listed = Array.isArray(header?.vectors) ? (header.vectors as unknown[]) : undefined;
  const names = expected.map(([name, length]) => `${name}[${length ?? "n"}]`).join(", ");
  const lengths: number[] = [];
  const matches =
    listed !== undefined &&
    listed.length === expected.length &&
    listed.every((v, i) => {
      const entry = v as { name?: unknown; length?: unknown } | null;
      const [name, length] = expected[i] as readonly [string, number | undefined];
      const ok =
        entry?.name === name &&
        Number.isSafeInteger(entry.length) &&
        (entry.length as number) >= 0 &&
        (length === undefined || entry.length === length);
      if (ok) lengths.push(entry.length as number);
      return ok;
    });
  if (!matches) throw new DistributedError(`${what} does not hold the vectors ${names}`);
  const total = lengths.reduce((sum, length) => sum + length * 4, 0);
  if (buf.byteLength !== 4 + headerLength + total)
    throw new DistributedError(
      `${what} has ${buf.byteLength - 4 - headerLength} vector bytes, expected ${total}`,
    );
  const vectors = new Map<string, Float32Array>();
  let offset = 4 + headerLength;
  for (const [i, [name]] of expected.entries()) {
    const length = lengths[i] as number;
    vectors.set(
      name,
      decodeFloat32(buf.subarray(offset, offset + length * 4), length, `${what}'s ${name}`),
    );
    offset += length * 4;
  }
  return { meta: header.meta ?? null, vectors };
}

/** The name of a client's state in a result blob (not a valid uplink name, so it never clashes). */
export const STATE_VECTOR = "#state";

/** What a client's result must match. */
export interface KitUplinkExpectation {
  /** The client. */
  readonly cid: number;
  /** The round. */
  readonly round: number;
  /** The algorithm's uplink vector names, in order. */
  readonly uplinkNames: readonly string[];
  /** Each uplink vector's length. */
  readonly numParameters: number;
  /** The state's length (0: none). */
  readonly stateLength: number;
}

/**
 * A client's result as bytes: its uplink vectors (and state), with the cid, round, weight, steps
 * and metrics in the header. Non-finite metrics (a NaN loss) travel as `null`.
 */
export function encodeKitUplink(
  pkg: KitUplink,
  round: number,
  uplinkNames: readonly string[],
): Buffer {
  const vectors: [string, Float32Array][] = uplinkNames.map((name) => [
    name,
    pkg.vectors[name] as Float32Array,
  ]);
  if (pkg.state !== undefined) vectors.push([STATE_VECTOR, pkg.state]);
  const metrics: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(pkg.metrics))
    metrics[key] = Number.isFinite(value) ? value : null;
  return encodeVectors(vectors, {
    cid: pkg.cid,
    round,
    weight: pkg.weight,
    steps: pkg.steps,
    metrics,
  });
}

/**
 * Decodes and checks a result of {@link encodeKitUplink}.
 * @throws DistributedError naming the client and what does not match.
 */
export function decodeKitUplink(bytes: Uint8Array, expected: KitUplinkExpectation): KitUplink {
  const what = `The result of client ${expected.cid} (round ${expected.round})`;
  const layout: [string, number][] = expected.uplinkNames.map((name) => [
    name,
    expected.numParameters,
  ]);
  if (expected.stateLength > 0) layout.push([STATE_VECTOR, expected.stateLength]);
  const { meta, vectors } = decodeVectors(bytes, layout, what);
  const m = meta as {
    cid?: unknown;
    round?: unknown;
    weight?: unknown;
    steps?: unknown;
    metrics?: unknown;
  } | null;
  if (m?.cid !== expected.cid)
    throw new DistributedError(`${what} is marked as client ${String(m?.cid)}`);
  if (m.round !== expected.round)
    throw new DistributedError(`${what} is marked as round ${String(m.round)}`);
  const weight = m.weight;
  if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0)
    throw new DistributedError(
      `${what} has weight ${String(weight)}, expected a finite number >= 0`,
    );
  if (!Number.isSafeInteger(m.steps) || (m.steps as number) < 0)
    throw new DistributedError(`${what} has ${String(m.steps)} steps, expected an integer >= 0`);
  const metrics: Record<string, number> = {};
  if (m.metrics === null || typeof m.metrics !== "object" || Array.isArray(m.metrics))
    throw new DistributedError(`${what} has no metrics object`);
  for (const [key, value] of Object.entries(m.metrics as Record<string, unknown>)) {
    if (value !== null && typeof value !== "number")
      throw new DistributedError(
        `${what} has a metric ${JSON.stringify(key)} that is not a number`,
      );
    metrics[key] = value ?? Number.NaN;
  }
  const up: Record<string, Float32Array> = {};
  for (const name of expected.uplinkNames) up[name] = vectors.get(name) as Float32Array;
  const state = vectors.get(STATE_VECTOR);
  return {
    cid: expected.cid,
    weight,
    steps: m.steps as number,
    metrics,
    vectors: up,
    ...(state !== undefined ? { state } : {}),
  };
}

/**
 * One shard's evaluation as a worker sends it: the per-batch figures of test batches
 * `firstBatch` to `endBatch - 1`, in batch order, which the server sums as a serial evaluation
 * does. No model-sized vector travels back.
 */
export interface EvaluationResult {
  /** The round whose model was evaluated. */
  readonly round: number;
  /** The shard's first batch. */
  readonly firstBatch: number;
  /** One past its last batch. */
  readonly endBatch: number;
  /** The batch size. */
  readonly batchSize: number;
  /** Each batch's mean loss (any double: a diverged model's NaN travels as it is). */
  readonly loss: readonly number[];
  /** Each batch's accuracy, in [0, 1]. */
  readonly accuracy: readonly number[];
  /** Each batch's number of samples, an integer in [0, batchSize]. */
  readonly count: readonly number[];
}

/** The `kind` of an evaluation result's header (client results have none). */
export const EVALUATION_RESULT_KIND = "evaluation";
/** The version of the evaluation result format this code writes and reads. */
export const EVALUATION_RESULT_VERSION = 1;
const MAX_EVALUATION_HEADER_BYTES = 1024;

/**
 * An evaluation as bytes: a u32 (little-endian) header length, the JSON header
 * `{ kind: "evaluation", v: 1, round, firstBatch, endBatch, batchSize }`, then n losses, n
 * accuracies and n counts as little-endian float64 (n = endBatch - firstBatch). Float64, not
 * JSON numbers or float32, so every figure (NaN and infinities included) reaches the server's
 * sum bit for bit.
 */
export function encodeEvaluationResult(result: EvaluationResult): Buffer {
  const { round, firstBatch, endBatch, batchSize } = result;
  const n = endBatch - firstBatch;
  for (const name of ["loss", "accuracy", "count"] as const)
    if (result[name].length !== n)
      throw new DistributedError(
        `An evaluation of batches ${firstBatch} to ${endBatch - 1} has ${result[name].length} ${name} values, expected ${n}`,
      );
  const header = Buffer.from(
    JSON.stringify({
      kind: EVALUATION_RESULT_KIND,
      v: EVALUATION_RESULT_VERSION,
      round,
      firstBatch,
      endBatch,
      batchSize,
    }),
    "utf8",
  );
  const out = Buffer.alloc(4 + header.length + 24 * n);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  let offset = 4 + header.length;
  for (const values of [result.loss, result.accuracy, result.count])
    for (const value of values) offset = out.writeDoubleLE(value, offset);
  return out;
}

/** What an evaluation result must match: the job's round and shard. */
export interface EvaluationExpectation {
  /** The round. */
  readonly round: number;
  /** The shard's first batch. */
  readonly firstBatch: number;
  /** One past its last batch. */
  readonly endBatch: number;
  /** The batch size. */
  readonly batchSize: number;
}

/**
 * Decodes and checks a result of {@link encodeEvaluationResult}: its kind and version, that it
 * is the expected round and shard, its size, and that every count is an integer in
 * [0, batchSize] and every accuracy in [0, 1].
 * @throws DistributedError naming the shard and what does not match (a client's result, or a
 *   version this server does not read, is named as such).
 */
export function decodeEvaluationResult(
  bytes: Uint8Array,
  expected: EvaluationExpectation,
): EvaluationResult {
  const { round, firstBatch, endBatch, batchSize } = expected;
  const what = `The evaluation of test batches ${firstBatch} to ${endBatch - 1} (round ${round})`;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < 4)
    throw new DistributedError(`${what} is truncated (${buf.byteLength} bytes)`);
  const headerLength = buf.readUInt32LE(0);
  if (headerLength > MAX_EVALUATION_HEADER_BYTES || 4 + headerLength > buf.byteLength)
    throw new DistributedError(`${what} has a bad header length (${headerLength})`);
  let header: Record<string, unknown> | null;
  try {
    header = JSON.parse(buf.subarray(4, 4 + headerLength).toString("utf8")) as typeof header;
  } catch {
    throw new DistributedError(`${what} has a header that is not JSON`);
  }
  if (header?.kind !== EVALUATION_RESULT_KIND)
    throw new DistributedError(
      `${what} is not an evaluation result (its header's kind is ${JSON.stringify(header?.kind ?? null)})`,
    );
  if (header.v !== EVALUATION_RESULT_VERSION)
    throw new DistributedError(
      `${what} has format version ${JSON.stringify(header.v)}; this server reads version ${EVALUATION_RESULT_VERSION} (run one BlazeFL version on the server and every worker)`,
    );
  for (const [field, value] of Object.entries({ round, firstBatch, endBatch, batchSize }))
    if (header[field] !== value)
      throw new DistributedError(
        `${what} is marked as ${field} ${JSON.stringify(header[field])}, expected ${value}`,
      );
  const n = endBatch - firstBatch;
  if (buf.byteLength !== 4 + headerLength + 24 * n)
    throw new DistributedError(
      `${what} has ${buf.byteLength - 4 - headerLength} value bytes, expected ${24 * n} (3 x ${n} float64)`,
    );
  const read = (part: number): number[] =>
    Array.from({ length: n }, (_, i) => buf.readDoubleLE(4 + headerLength + 8 * (part * n + i)));
  const [loss, accuracy, count] = [read(0), read(1), read(2)];
  for (let i = 0; i < n; i++) {
    const c = count[i] as number;
    const a = accuracy[i] as number;
    if (!Number.isInteger(c) || c < 0 || c > batchSize)
      throw new DistributedError(
        `${what} has count ${c} for batch ${firstBatch + i}, expected an integer in [0, ${batchSize}]`,
      );
    if (!(a >= 0 && a <= 1))
      throw new DistributedError(
        `${what} has accuracy ${a} for batch ${firstBatch + i}, expected a number in [0, 1]`,
      );
  }
  return { round, firstBatch, endBatch, batchSize, loss, accuracy, count };
}

/** The size of the signature {@link signUplink} appends. */
export const UPLINK_MAC_BYTES = 32;

function uplinkMac(key: Uint8Array, keyName: string, body: Uint8Array): Buffer {
  return createHmac("sha256", key).update(keyName, "utf8").update(body).digest();
}

/**
 * `bytes` (an encoded result: a client's or an evaluation's) followed by its HMAC-SHA256 under
 * the run's result key, bound to the Redis key it is stored under (so a result cannot be moved
 * to another client, shard, round or run, nor from a client's key to an evaluation's).
 */
export function signUplink(bytes: Uint8Array, key: Uint8Array, keyName: string): Buffer {
  return Buffer.concat([bytes, uplinkMac(key, keyName, bytes)]);
}

/**
 * The result inside `signed` when its signature is `key`'s for `keyName`, else undefined (a
 * result forged, altered, moved, or written by a server process with another key).
 */
export function verifyUplink(
  signed: Uint8Array,
  key: Uint8Array,
  keyName: string,
): Uint8Array | undefined {
  if (signed.byteLength < UPLINK_MAC_BYTES) return undefined;
  const body = signed.subarray(0, signed.byteLength - UPLINK_MAC_BYTES);
  const mac = signed.subarray(signed.byteLength - UPLINK_MAC_BYTES);
  return timingSafeEqual(mac, uplinkMac(key, keyName, body)) ? body : undefined;
}
