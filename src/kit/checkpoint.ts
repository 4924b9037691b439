/**
 * Atomic checkpoints of a run: one file, `checkpoint/latest.ckpt`, written to a temporary file
 * and renamed over the old one, so a crash or Ctrl+C at any moment leaves the last complete
 * checkpoint intact. Layout: a 4-byte little-endian header length, a JSON header, then named
 * float32 vectors (the global model first, then the server part's state), raw little-endian, in
 * the header's order. The client-state table (which slot of `client-state.bin` holds each
 * client's state) is in the header, so a resumed run sees exactly the states of this round.
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BlazeFLError } from "../core/errors.js";
import type { StateTable } from "./client-state-store.js";
import { CorruptFileError } from "./corrupt-file-error.js";
import { writeFileAtomic } from "./durable-file.js";
import { CheckpointError } from "./errors.js";
import type { JsonValue, OptimizerState } from "./server-optimizer.js";

export { writeFileAtomic };

/** What a checkpoint holds besides the vectors. */
export interface CheckpointHeader {
  /** The format version. */
  readonly version: 2;
  /** Rounds completed. */
  readonly round: number;
  /** A digest of the options that determine the results; resume checks it. */
  readonly configDigest: string;
  /** The vectors that follow the header, in order (`model` first). */
  readonly vectors: readonly { readonly name: string; readonly length: number }[];
  /** sha256 of all vector bytes. */
  readonly vectorsSha256: string;
  /** The server part's JSON state. */
  readonly server?: JsonValue;
  /** The committed client-state table, for algorithms with client state. */
  readonly clientState?: StateTable;
}

/** A checkpoint read back. */
export interface Checkpoint {
  /** The header. */
  readonly header: CheckpointHeader;
  /** The vectors by name: `model` (the global model after `header.round` rounds) and the server state's. */
  readonly vectors: Readonly<Record<string, Float32Array>>;
}

/** What {@link writeCheckpoint} saves. */
export interface CheckpointContent {
  /** Rounds completed. */
  readonly round: number;
  /** The digest of the result-determining options. */
  readonly configDigest: string;
  /** The global model. */
  readonly model: Float32Array;
  /** The server part's state. */
  readonly server: OptimizerState;
  /** The client-state table, if the algorithm keeps client state. */
  readonly clientState?: StateTable;
}

/** The path of the checkpoint file inside a run's output directory. */
export function checkpointPath(outDir: string): string {
  return join(outDir, "checkpoint", "latest.ckpt");
}

/** sha256 of a float32 vector's bytes, hex. */
export function sha256Float32(values: Float32Array): string {
  return createHash("sha256")
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest("hex");
}

/** Writes the checkpoint of a completed round atomically. */
export function writeCheckpoint(outDir: string, content: CheckpointContent): void {
  const file = checkpointPath(outDir);
  try {
    mkdirSync(join(outDir, "checkpoint"), { recursive: true });
    const named: [string, Float32Array][] = [
      ["model", content.model],
      ...Object.entries(content.server.vectors).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    ];
    const hash = createHash("sha256");
    const bodies = named.map(([, v]) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    for (const body of bodies) hash.update(body);
    const header: CheckpointHeader = {
      version: 2,
      round: content.round,
      configDigest: content.configDigest,
      vectors: named.map(([name, v]) => ({ name, length: v.length })),
      vectorsSha256: hash.digest("hex"),
      server: content.server.json,
      ...(content.clientState !== undefined ? { clientState: content.clientState } : {}),
    };
    const json = Buffer.from(JSON.stringify(header), "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length, 0);
    writeFileAtomic(file, [len, json, ...bodies]);
  } catch (error) {
    if (error instanceof BlazeFLError) throw error;
    throw new CheckpointError(`Could not write checkpoint ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const RECOVER =
  "Restore it from a backup, or start the run again in a new --out (its metrics.jsonl and config.json stay readable)";

function isHeader(value: unknown): value is CheckpointHeader {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const h = value as Record<string, unknown>;
  return (
    h.version === 2 &&
    Number.isSafeInteger(h.round) &&
    (h.round as number) >= 0 &&
    typeof h.configDigest === "string" &&
    typeof h.vectorsSha256 === "string" &&
    Array.isArray(h.vectors) &&
    h.vectors.every(
      (v: unknown) =>
        v !== null &&
        typeof v === "object" &&
        typeof (v as { name?: unknown }).name === "string" &&
        Number.isSafeInteger((v as { length?: unknown }).length) &&
        ((v as { length: number }).length as number) >= 0,
    )
  );
}

/**
 * Reads the checkpoint in `outDir`, or returns undefined when there is none.
 * @throws CorruptFileError (exit 2) naming the file and how to recover when it is truncated,
 *   corrupt or of another version; CheckpointError when it cannot be read at all.
 */
export function readCheckpoint(outDir: string): Checkpoint | undefined {
  const file = checkpointPath(outDir);
  if (!existsSync(file)) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CheckpointError(`Could not read checkpoint ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const corrupt = (problem: string, cause?: unknown): CorruptFileError =>
    new CorruptFileError(file, undefined, problem, RECOVER, cause !== undefined ? { cause } : {});
  if (bytes.length < 4) throw corrupt(`the checkpoint is truncated (${bytes.length} bytes)`);
  const headerLength = bytes.readUInt32LE(0);
  if (4 + headerLength > bytes.length) throw corrupt("the checkpoint is truncated in its header");
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString("utf8"));
  } catch (error) {
    throw corrupt("the checkpoint has a corrupt header (not JSON)", error);
  }
  if (!isHeader(header))
    throw corrupt(
      `the checkpoint's header is not a version 2 header (version ${String((header as { version?: unknown } | null)?.version)}; another version of blazefl writes other checkpoints)`,
    );
  const body = bytes.subarray(4 + headerLength);
  const expected = header.vectors.reduce((sum, v) => sum + v.length * 4, 0);
  if (body.length !== expected)
    throw corrupt(
      `the checkpoint holds ${body.length} vector bytes, expected ${expected} (truncated)`,
    );
  if (createHash("sha256").update(body).digest("hex") !== header.vectorsSha256)
    throw corrupt("the checkpoint is corrupt: its vectors do not match their sha256");
  const vectors: Record<string, Float32Array> = {};
  let offset = 0;
  for (const { name, length } of header.vectors) {
    const v = new Float32Array(length);
    new Uint8Array(v.buffer).set(body.subarray(offset, offset + length * 4));
    vectors[name] = v;
    offset += length * 4;
  }
  return { header, vectors };
}
