/**
 * {@link acquireRunLock}: one run per `--out` directory. Two runs writing one directory
 * interleave their files (the config of one, the checkpoint of the other) and `--resume`
 * continues the wrong run, so a run holds `OUT/.blazefl.lock` (created exclusively, holding its
 * pid and host) for as long as it writes there.
 *
 * A lock whose pid is gone on this host (the run was SIGKILLed) is stale and taken over; one
 * held by a live pid, or written on another host (a shared file system, where the pid cannot be
 * checked), makes the second run fail with an `OptionsError` naming `--out`. The lock is released
 * by {@link RunLock.release} and, failing that, when the process exits.
 * @module
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { OptionsError } from "../core/errors.js";
import { fsyncDirectory, OutputFileError } from "./durable-file.js";

/** The lock file's name inside `--out`. */
export const RUN_LOCK_FILE = ".blazefl.lock";

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** A held lock; release it when the run stops writing. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file if it is still this run's; idempotent. */
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): { content: LockContent | undefined; ino: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const ino = fstatSync(fd).ino;
    let content: LockContent | undefined;
    try {
      const value = JSON.parse(readFileSync(fd, "utf8")) as Partial<LockContent>;
      if (Number.isSafeInteger(value.pid) && typeof value.host === "string")
        content = value as LockContent;
    } catch {
      // Empty or torn: its writer died between creating and filling it.
    }
    return { content, ino };
  } finally {
    closeSync(fd);
  }
}

/**
 * Takes the lock of `outDir` (which must exist).
 * @param outDir - The run's output directory.
 * @param option - The option named in errors. @default "--out"
 * @throws OptionsError naming `option` when another live run holds it; OutputFileError when
 *   the lock file cannot be written.
 */
export function acquireRunLock(outDir: string, option = "--out"): RunLock {
  const path = join(outDir, RUN_LOCK_FILE);
  const me: LockContent = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw new OutputFileError(path, "create the lock", error, "no run holds it");
      const held = readLock(path);
      if (held === undefined) continue; // released meanwhile
      const { content } = held;
      if (content !== undefined && (content.host !== me.host || isAlive(content.pid)))
        throw new OptionsError(
          option,
          outDir,
          `a directory no other run is writing (run ${content.pid} on ${content.host} holds ${path} since ${content.startedAt}; wait for it, use another ${option}, or delete the lock if that process is not a blazefl run)`,
        );
      if (content === undefined && attempt === 0) {
        // Just created by a run that has not written its pid yet: look again.
        sleepMs(50);
        continue;
      }
      takeOver(path, held.ino);
      continue;
    }
    try {
      const bytes = Buffer.from(`${JSON.stringify(me)}\n`);
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      const ino = fstatSync(fd).ino;
      closeSync(fd);
      fsyncDirectory(outDir);
      return heldLock(path, ino);
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      unlinkSync(path);
      throw new OutputFileError(path, "write the lock", error, "no run holds it");
    }
  }
  throw new OptionsError(
    option,
    outDir,
    `a directory whose lock ${path} settles (it kept changing)`,
  );
}

/**
 * Removes the stale lock with inode `ino`. It is renamed aside first, so a lock that another
 * run created meanwhile (a different inode) is put back rather than deleted.
 */
function takeOver(path: string, ino: number): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new OutputFileError(path, "take over the stale lock", error, "it is unchanged");
  }
  if (statSync(aside).ino !== ino) {
    try {
      linkSync(aside, path);
    } catch {
      // A third run took the place meanwhile; it holds the lock.
    }
  }
  unlinkSync(aside);
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function heldLock(path: string, ino: number): RunLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off("exit", release);
    try {
      if (statSync(path).ino === ino) unlinkSync(path);
    } catch {
      // Gone already.
    }
  };
  process.on("exit", release);
  return { path, release };
}
