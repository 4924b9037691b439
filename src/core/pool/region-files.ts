/**
 * Shared regions for processes. Node has no cross-process SharedArrayBuffer, so a region is a
 * file on tmpfs (`/dev/shm`, or the OS temp directory where there is none): written with one
 * `pwrite` per array, read with `pread` into memory. Each pool owns one private directory, which
 * is removed on shutdown and on exit.
 *
 * @module
 */
import {
  accessSync,
  constants,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The start of every region directory's name: `blazefl-pool-p<pid>-<6 random characters>`. */
const DIRECTORY_PREFIX = "blazefl-pool-p";
const DIRECTORY_NAME = /^blazefl-pool-p(\d+)-[A-Za-z0-9]{6}$/;
/** The marker file inside every region directory; nothing without it is ever removed. */
export const REGION_MARKER = ".blazefl-region-directory";

function markerText(pid: number): string {
  return `blazefl region directory of pid ${pid}\n`;
}

/**
 * Whether `path` is a region directory of dead process `pid`: a real directory (not a link),
 * owned by this user, holding the marker this package writes.
 */
function isOurOrphan(path: string, pid: number): boolean {
  try {
    const stat = lstatSync(path);
    if (!stat.isDirectory()) return false;
    if (typeof process.getuid === "function" && stat.uid !== process.getuid()) return false;
    const marker = join(path, REGION_MARKER);
    if (!lstatSync(marker).isFile()) return false;
    return readFileSync(marker, "utf8") === markerText(pid) && !isAlive(pid);
  } catch {
    return false;
  }
}

/**
 * Removes directories left by pools whose parent process is gone (killed by SIGKILL, which
 * leaves no chance to clean up). Only directories this package made are touched: the name
 * `blazefl-pool-p<pid>-XXXXXX`, a real directory owned by this user, and the marker file
 * inside naming that pid. A user's own `blazefl-*` directory is never removed.
 */
export function removeOrphanedDirectories(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const match = DIRECTORY_NAME.exec(name);
    if (match === null) continue;
    const path = join(base, name);
    if (!isOurOrphan(path, Number(match[1]))) continue;
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed meanwhile: nothing to do.
    }
  }
}

/** A private directory for one pool's region files. */
export class RegionDirectory {
  /** The directory's path. */
  readonly path: string;
  #removed = false;

  /** @param base - Where to create it. */
  constructor(base: string = defaultSharedMemoryDir()) {
    removeOrphanedDirectories(base);
    this.path = mkdtempSync(join(base, `${DIRECTORY_PREFIX}${process.pid}-`));
    try {
      writeFileSync(join(this.path, REGION_MARKER), markerText(process.pid), { flag: "wx" });
    } catch (error) {
      rmSync(this.path, { recursive: true, force: true });
      throw new SharedMemoryError(
        `Could not create the shared-memory directory ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
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
