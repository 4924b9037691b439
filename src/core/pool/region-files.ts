/**
 * Shared regions for processes. Node has no cross-process SharedArrayBuffer, so a region is a
 * file on tmpfs (`/dev/shm`, or the OS temp directory where there is none): written with one
 * `pwrite` per array, read with `pread` into memory. Each pool owns one private directory, which
 * is removed on shutdown and on exit; one left by a SIGKILLed parent is swept by the next pool.
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

/** The marker file inside every region directory; nothing without it is ever removed. */
export const REGION_MARKER = ".blazefl-region-directory";
const DIRECTORY_NAME = /^blazefl-pool-p(\d+)-[A-Za-z0-9]{6}$/;
const markerText = (pid: number) => `blazefl region directory of pid ${pid}\n`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the directories of pools whose parent is gone, and only what this package made: named
 * `blazefl-pool-p<pid>-XXXXXX`, a real directory (not a link) owned by this user, holding the
 * marker that names that pid. A user's own `blazefl-*` directory is never removed.
 */
export function removeOrphanedDirectories(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(DIRECTORY_NAME.exec(name)?.[1] ?? Number.NaN);
    if (Number.isNaN(pid)) continue;
    const path = join(base, name);
    try {
      const stat = lstatSync(path);
      const mine = typeof process.getuid !== "function" || stat.uid === process.getuid();
      const marker = join(path, REGION_MARKER);
      if (!stat.isDirectory() || !mine || !lstatSync(marker).isFile()) continue;
      if (readFileSync(marker, "utf8") === markerText(pid) && !isAlive(pid))
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Not ours, or removed meanwhile: nothing to do.
    }
  }
}

/** A private directory for one pool's region files. */
export class RegionDirectory {
  /** The directory's path. */
  readonly path: string;

  /** @param base - By default `/dev/shm` when it is a writable directory, else the temp dir. */
  constructor(base: string = defaultBase()) {
    removeOrphanedDirectories(base);
    this.path = mkdtempSync(join(base, `blazefl-pool-p${process.pid}-`));
    try {
      writeFileSync(join(this.path, REGION_MARKER), markerText(process.pid), { flag: "wx" });
    } catch (error) {
      rmSync(this.path, { recursive: true, force: true });
      const message = `Could not create the shared-memory directory ${this.path}`;
      throw new SharedMemoryError(`${message}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The path of file `name` inside the directory. */
  file(name: string): string {
    return join(this.path, name);
  }

  /** Removes the directory and everything in it; idempotent. */
  removeSync(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

function defaultBase(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    if (statSync("/dev/shm").isDirectory()) return "/dev/shm";
  } catch {
    // no tmpfs: fall through
  }
  return tmpdir();
}

/** Writes each placement at its handle's byte offset (a file is one region: region 0). */
export function writePlacementsToFile(fd: number, placements: readonly Placement[]): void {
  for (const { array, handle } of placements) {
    if (handle.region !== 0)
      throw new SharedMemoryError(`A region file holds region 0 only, not region ${handle.region}`);
    for (let done = 0; done < array.byteLength; )
      done += writeSync(fd, array, done, array.byteLength - done, handle.byteOffset + done);
  }
}

/** Reads `byteLength` bytes from the start of the file into `target` (which must fit them). */
export function readRegionFile(fd: number, target: ArrayBufferLike, byteLength: number): void {
  const bytes = new Uint8Array(target, 0, byteLength);
  for (let done = 0; done < byteLength; ) {
    const n = readSync(fd, bytes, done, byteLength - done, done);
    if (n === 0)
      throw new SharedMemoryError(
        `A region file ended after ${done} of ${byteLength} bytes: a worker wrote less than its receipt says`,
      );
    done += n;
  }
}
