/**
 * Decompressed copies of large gzipped dataset files, so that a run decompresses a file once per
 * machine instead of once per process. Gunzipping Fashion-MNIST costs about 0.25 s of CPU, and
 * a 2-worker pool did it three times at start-up (the parent and each worker) on the two cores
 * the run needs; reading the copy back takes a few milliseconds. torchvision keeps its `raw/`
 * files for the same reason.
 *
 * A copy is keyed by the source's path, device, inode, size and modification time, so an edited
 * or replaced source is decompressed again, and its new copy replaces the stale one. It is written to a temporary name, flushed to disk
 * and then renamed, so a copy under its final name is always whole; a 16-byte header (magic and
 * length) is checked on every read. Everything here is best effort: a cache that cannot be read
 * or written is skipped and the file is decompressed as before.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

/** Files that decompress to less are not cached: they cost little, and tests make many. */
export const MIN_CACHED_BYTES = 1024 * 1024;

const MAGIC = Buffer.from("BFLRAW01", "latin1");
const HEADER_BYTES = 16;
/** A `.partial` file older than this is taken to be left by a process that died mid-write. */
const STALE_PARTIAL_MS = 10 * 60 * 1000;

/**
 * The directory of decompressed copies: `${XDG_CACHE_HOME:-~/.cache}/blazefl/decompressed`, or
 * `undefined` when `BLAZEFL_DECOMPRESSED_CACHE=0` turns the cache off.
 */
export function decompressedCacheDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  if (env.BLAZEFL_DECOMPRESSED_CACHE === "0") return undefined;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "blazefl", "decompressed");
}

const hash12 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/**
 * The path of the copy of the file at `path` whose `stat` (bigint) is `info`:
 * `<hash of the path>-<hash of its stat>-<name without .gz>`, so that the copies of one path
 * share a prefix (a new copy replaces the stale ones).
 */
export function decompressedCachePath(dir: string, path: string, info: BigIntStats): string {
  const version = hash12(
    JSON.stringify([`${info.dev}`, `${info.ino}`, `${info.size}`, `${info.mtimeNs}`]),
  );
  return join(dir, `${hash12(resolve(path))}-${version}-${basename(path).replace(/\.gz$/, "")}`);
}

/**
 * The contents kept in the copy `copy` (a {@link decompressedCachePath}), or `undefined` on a
 * miss (no copy, a copy of another length than its header says, or one larger than `maxBytes`).
 * The result is one buffer of exactly the contents' size.
 */
export async function readDecompressedCopy(
  copy: string,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(copy, "r");
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
    if (bytesRead !== HEADER_BYTES || !header.subarray(0, 8).equals(MAGIC)) return undefined;
    const length = Number(header.readBigUint64LE(8));
    if (length > maxBytes || (await handle.stat()).size !== HEADER_BYTES + length) return undefined;
    const out = Buffer.allocUnsafeSlow(length);
    let done = 0;
    while (done < length) {
      const { bytesRead: n } = await handle.read(out, done, length - done, HEADER_BYTES + done);
      if (n === 0) return undefined;
      done += n;
    }
    return out;
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Writes `contents` as the copy `copy`, unless another process or thread is already writing it
 * (the first to create `<copy>.partial` writes; the others go on without waiting).
 */
export async function writeDecompressedCopy(copy: string, contents: Uint8Array): Promise<void> {
  const partial = `${copy}.partial`;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let owned = false;
  try {
    await mkdir(dirname(copy), { recursive: true });
    try {
      handle = await open(partial, "wx", 0o644);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EEXIST") return;
      // A writer that died leaves its partial file: take it over once it is clearly stale.
      const age = Date.now() - (await stat(partial)).mtimeMs;
      if (age < STALE_PARTIAL_MS) return;
      await unlink(partial);
      handle = await open(partial, "wx", 0o644);
    }
    owned = true;
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header);
    header.writeBigUint64LE(BigInt(contents.length), 8);
    await handle.writeFile(header);
    await handle.writeFile(contents);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(partial, copy);
    // The copies of this path's earlier versions are stale for good: remove them.
    const dir = dirname(copy);
    const prefix = basename(copy).slice(0, 13);
    for (const name of await readdir(dir))
      if (name.startsWith(prefix) && name !== basename(copy) && !name.endsWith(".partial"))
        await unlink(join(dir, name)).catch(() => {});
  } catch {
    await handle?.close().catch(() => {});
    if (owned) await unlink(partial).catch(() => {});
  }
}
