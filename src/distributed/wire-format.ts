/**
 * The binary values a distributed run keeps in Redis: a model is its raw float32 bytes
 * (little-endian, as every platform Node runs on), and a client's result is a 32-byte header
 * followed by its parameters (see {@link encodeUplink}). Decoding checks everything and throws a
 * {@link DistributedError} that says what did not match.
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { FedAvgUplinkPackage } from "../contrib/fedavg/packages.js";
import { DistributedError } from "../core/errors.js";

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

/** "BFU1": the magic number of a result, as a little-endian uint32. */
export const UPLINK_MAGIC = 0x31554642;
/** The size of a result's header. */
export const UPLINK_HEADER_BYTES = 32;

/**
 * A client's result as bytes. Layout (little-endian): magic `BFU1` (u32), cid (u32), round
 * (u32), number of parameters (u32), data size (f64), mean training loss (f64, NaN allowed),
 * then the parameters (float32). The same package always gives the same bytes.
 */
export function encodeUplink(pkg: FedAvgUplinkPackage, round: number): Buffer {
  const n = pkg.modelParameters.length;
  const out = Buffer.alloc(UPLINK_HEADER_BYTES + n * 4);
  out.writeUInt32LE(UPLINK_MAGIC, 0);
  out.writeUInt32LE(pkg.cid, 4);
  out.writeUInt32LE(round, 8);
  out.writeUInt32LE(n, 12);
  out.writeDoubleLE(pkg.dataSize, 16);
  out.writeDoubleLE(pkg.metadata?.loss ?? Number.NaN, 24);
  float32Bytes(pkg.modelParameters).copy(out, UPLINK_HEADER_BYTES);
  return out;
}

/** What a result must match. */
export interface UplinkExpectation {
  /** The client. */
  readonly cid: number;
  /** The round. */
  readonly round: number;
  /** The model's parameter count. */
  readonly numParameters: number;
}

/**
 * Decodes and checks a result written by {@link encodeUplink}.
 * @throws DistributedError naming the client and the field that does not match.
 */
export function decodeUplink(bytes: Uint8Array, expected: UplinkExpectation): FedAvgUplinkPackage {
  const what = `The result of client ${expected.cid} (round ${expected.round})`;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < UPLINK_HEADER_BYTES || buf.readUInt32LE(0) !== UPLINK_MAGIC)
    throw new DistributedError(`${what} is not a BlazeFL result (bad header)`);
  const cid = buf.readUInt32LE(4);
  const round = buf.readUInt32LE(8);
  const n = buf.readUInt32LE(12);
  if (cid !== expected.cid) throw new DistributedError(`${what} is marked as client ${cid}`);
  if (round !== expected.round) throw new DistributedError(`${what} is marked as round ${round}`);
  if (n !== expected.numParameters)
    throw new DistributedError(`${what} has ${n} parameters, expected ${expected.numParameters}`);
  const dataSize = buf.readDoubleLE(16);
  if (!Number.isSafeInteger(dataSize) || dataSize < 1)
    throw new DistributedError(`${what} has data size ${dataSize}, expected a positive integer`);
  const loss = buf.readDoubleLE(24);
  const modelParameters = decodeFloat32(
    buf.subarray(UPLINK_HEADER_BYTES),
    n,
    `${what}'s parameters`,
  );
  return { cid, modelParameters, dataSize, metadata: { loss } };
}

/** The size of the signature {@link signUplink} appends. */
export const UPLINK_MAC_BYTES = 32;

function uplinkMac(key: Uint8Array, keyName: string, body: Uint8Array): Buffer {
  return createHmac("sha256", key).update(keyName, "utf8").update(body).digest();
}

/**
 * `bytes` (an encoded result) followed by its HMAC-SHA256 under the run's result key, bound to
 * the Redis key it is stored under (so a result cannot be moved to another client, round or run).
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
