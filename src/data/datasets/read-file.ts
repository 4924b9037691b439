/**
 * Reading dataset files, gzipped or raw, with errors that name the file.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { DataError } from "../errors.js";
import {
  decompressedCacheDir,
  decompressedCachePath,
  MIN_CACHED_BYTES,
  readDecompressedCopy,
  writeDecompressedCopy,
} from "./decompressed-cache.js";

const gunzipAsync = promisify(gunzip);

/** True when `bytes` starts with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * zlib's output chunk for a gzip file: the decompressed size its trailer declares (ISIZE), within
 * [64 KiB, `maxBytes`], so that the output is one buffer, neither copied nor oversized. zlib's
 * default (16 KiB) made 2,900 round trips through the thread pool for Fashion-MNIST's training
 * images and doubled their CPU time (about 0.35 s against 0.16 s), and joining 1 MiB chunks
 * still copied the 47 MB once more (30-45 ms), in the parent and in every pool worker. zlib checks
 * the trailer, so a wrong one is a corrupt file; a file of several gzip members declares only its
 * last one and gets several chunks. `maxOutputLength` bounds the output either way.
 */
function gunzipChunkBytes(gzip: Uint8Array, maxBytes: number): number {
  const trailer = new DataView(gzip.buffer, gzip.byteOffset, gzip.byteLength);
  const declared = gzip.length >= 18 ? trailer.getUint32(gzip.length - 4, true) : 0;
  return Math.max(64 * 1024, Math.min(declared, maxBytes));
}

/** The default bound of {@link readMaybeGzip}: no dataset file of the catalog is larger. */
export const MAX_DATA_FILE_BYTES = 256 * 1024 * 1024;

/** Copies of decompressed files still being written (see {@link flushDecompressedCopies}). */
const pendingCopies = new Set<Promise<void>>();

/**
 * Resolves once every decompressed copy this process or thread started writing is on disk (or
 * was given up): the copy is written in the background so that the first run does not wait.
 */
export async function flushDecompressedCopies(): Promise<void> {
  await Promise.all([...pendingCopies]);
}

/**
 * The contents of `path`, decompressed when it is gzip (recognised by its magic number, not its
 * name). Neither the file nor its decompressed contents may exceed `maxBytes`: a gzip bomb or a
 * huge file stops at the bound, with memory bounded by it, instead of exhausting memory.
 *
 * A gzip file that decompresses to at least {@link MIN_CACHED_BYTES} is decompressed once per
 * machine: the contents are kept in {@link decompressedCacheDir} and read from there while the
 * file is unchanged (see `decompressed-cache.ts`).
 * @param maxBytes - The largest size the file's format allows (decompressed).
 * @throws DataError naming the file when it is missing, not a regular file, too large,
 *   unreadable or corrupt gzip.
 */
export async function readMaybeGzip(
  path: string,
  maxBytes: number = MAX_DATA_FILE_BYTES,
): Promise<Uint8Array> {
  let raw: Buffer;
  let copy: string | undefined;
  try {
    const info = await stat(path, { bigint: true });
    if (!info.isFile()) throw new DataError(`${path}: not a regular file`);
    if (info.size > BigInt(maxBytes))
      throw new DataError(
        `${path}: ${info.size} bytes, more than the ${maxBytes} its format allows (not a dataset file?)`,
      );
    const cacheDir = decompressedCacheDir();
    if (cacheDir !== undefined) {
      copy = decompressedCachePath(cacheDir, path, info);
      const cached = await readDecompressedCopy(copy, maxBytes);
      if (cached !== undefined) return cached;
    }
    raw = await readFile(path);
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`Cannot read ${path}: ${describeFsError(error)}`, { cause: error });
  }
  if (!isGzip(raw)) return raw;
  let out: Uint8Array;
  try {
    const chunks = await gunzipAsync(raw, {
      maxOutputLength: maxBytes,
      chunkSize: gunzipChunkBytes(raw, maxBytes),
    });
    // An output under the 64 KiB floor sits in a larger chunk: keep only the output, since
    // dataset stores hold it for the whole run.
    out = chunks.byteLength === chunks.buffer.byteLength ? chunks : new Uint8Array(chunks);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE")
      throw new DataError(
        `${path}: decompresses to more than ${maxBytes} bytes, the most its format allows (a corrupt file or a gzip bomb); stopped there`,
        { cause: error },
      );
    throw new DataError(
      `${path}: corrupt or truncated gzip data (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  if (copy !== undefined && out.length >= MIN_CACHED_BYTES) {
    const pending = writeDecompressedCopy(copy, out).finally(() => pendingCopies.delete(pending));
    pendingCopies.add(pending);
  }
  return out;
}

/** A short description of a file-system error. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

/**
 * The path of `name` in `dir`: `name.gz` when it exists, else `name` when it exists.
 * @param hint - Appended to the error, e.g. how to fetch the dataset.
 * @throws DataError naming both paths tried when neither exists.
 */
export async function findDataFile(dir: string, name: string, hint: string): Promise<string> {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // try the next candidate
    }
  }
  throw new DataError(
    `Missing dataset file: neither ${join(dir, `${name}.gz`)} nor ${join(dir, name)} exists. ${hint}`,
  );
}
