/**
 * Atomic checkpoints of a run: one file, `checkpoint/latest.ckpt`, written to a temporary file
 * and renamed over the old one, so a crash or Ctrl+C at any moment leaves the last complete
 * checkpoint intact. Layout: a 4-byte little-endian header length, a JSON header, then the
 * global parameters as raw little-endian float32.
 * @module
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { CheckpointError } from "../core/errors.js";

/** What a checkpoint holds besides the parameters. */
export interface CheckpointHeader {
  /** The format version. */
  readonly version: 1;
  /** Rounds completed. */
  readonly round: number;
  /** A digest of the options that determine the results; resume checks it. */
  readonly configDigest: string;
  /** The number of float32 parameters that follow the header. */
  readonly numParameters: number;
  /** sha256 of the parameter bytes. */
  readonly parametersSha256: string;
}

/** A checkpoint read back. */
export interface Checkpoint {
  /** The header. */
  readonly header: CheckpointHeader;
  /** The global parameters after `header.round` rounds. */
  readonly parameters: Float32Array;
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

/** Writes `file` atomically: to a temporary file in the same directory, fsync, then rename. */
export function writeFileAtomic(file: string, chunks: readonly Uint8Array[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    for (const chunk of chunks) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Writes the checkpoint of round `round` atomically. */
export function writeCheckpoint(
  outDir: string,
  round: number,
  configDigest: string,
  parameters: Float32Array,
): void {
  const file = checkpointPath(outDir);
  try {
    mkdirSync(join(outDir, "checkpoint"), { recursive: true });
    const header: CheckpointHeader = {
      version: 1,
      round,
      configDigest,
      numParameters: parameters.length,
      parametersSha256: sha256Float32(parameters),
    };
    const json = Buffer.from(JSON.stringify(header), "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length, 0);
    writeFileAtomic(file, [
      len,
      json,
      new Uint8Array(parameters.buffer, parameters.byteOffset, parameters.byteLength),
    ]);
  } catch (error) {
    throw new CheckpointError(`Could not write checkpoint ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Reads the checkpoint in `outDir`, or returns undefined when there is none. */
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
  if (bytes.length < 4)
    throw new CheckpointError(`Checkpoint ${file} is truncated (${bytes.length} bytes)`);
  const headerLength = bytes.readUInt32LE(0);
  if (4 + headerLength > bytes.length)
    throw new CheckpointError(`Checkpoint ${file} is truncated in its header`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString("utf8")) as CheckpointHeader;
  } catch (error) {
    throw new CheckpointError(`Checkpoint ${file} has a corrupt header`, { cause: error });
  }
  if (header.version !== 1)
    throw new CheckpointError(`Checkpoint ${file} has unknown version ${String(header.version)}`);
  const body = bytes.subarray(4 + headerLength);
  if (body.length !== header.numParameters * 4)
    throw new CheckpointError(
      `Checkpoint ${file} holds ${body.length} parameter bytes, expected ${header.numParameters * 4}`,
    );
  const parameters = new Float32Array(header.numParameters);
  new Uint8Array(parameters.buffer).set(body);
  if (sha256Float32(parameters) !== header.parametersSha256)
    throw new CheckpointError(
      `Checkpoint ${file} is corrupt: its parameters do not match their sha256`,
    );
  return { header, parameters };
}
