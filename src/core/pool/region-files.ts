/**
 * Shared regions for processes. Node has no cross-process SharedArrayBuffer, so a region is a
 * file on tmpfs (`/dev/shm`, or the OS temp directory where there is none): written with one
 * `pwrite` per array, read with `pread` into memory. Each pool owns one private directory, which
 * is removed on shutdown and on exit.
 *
 * @module
 */
import { accessSync, constants, mkdtempSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SharedMemoryError } from "../errors.js";
import type { Placement } from "../shared-memory.js";

/** `/dev/shm` when it is a writable directory, otherwise `os.tmpdir()`. */
export function defaultSharedMemoryDir(): string {
  try {
    if (statSync("/dev/shm").isDirectory()) {
      accessSync("/dev/shm", constants.W_OK);
      return "/dev/shm";
    }
  } catch {
    // no tmpfs: fall through
  }
  return tmpdir();
}

/** A private directory for one pool's region files. */
export class RegionDirectory {
  /** The directory's path. */
  readonly path: string;
  #removed = false;

  /** @param base - Where to create it. */
  constructor(base: string = defaultSharedMemoryDir()) {
    this.path = mkdtempSync(join(base, `blazefl-${process.pid}-`));
  }

  /** The path of file `name` inside the directory. */
  file(name: string): string {
    return join(this.path, name);
  }

  /** Removes the directory and everything in it; idempotent. */
  removeSync(): void {
    if (this.#removed) return;
    this.#removed = true;
    rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * Writes each placement at its handle's byte offset, plus `base` (all handles must be in
 * region 0: a file is one region).
 */
export function writePlacementsToFile(
  fd: number,
  placements: readonly Placement[],
  base = 0,
): void {
  for (const { array, handle } of placements) {
    if (handle.region !== 0)
      throw new SharedMemoryError(`A region file holds region 0 only, not region ${handle.region}`);
    let done = 0;
    while (done < array.byteLength)
      done += writeSync(fd, array, done, array.byteLength - done, base + handle.byteOffset + done);
  }
}

/** Reads `byteLength` bytes from the start of the file into `target` (which must fit them). */
export function readRegionFile(fd: number, target: ArrayBufferLike, byteLength: number): void {
  const bytes = new Uint8Array(target, 0, byteLength);
  let done = 0;
  while (done < byteLength) {
    const n = readSync(fd, bytes, done, byteLength - done, done);
    if (n === 0)
      throw new SharedMemoryError(
        `A region file ended after ${done} of ${byteLength} bytes: a worker wrote less than its receipt says`,
      );
    done += n;
  }
}
