/**
 * Durable output files: every byte written (a short write is continued, never ignored), flushed
 * to the disk (`fsync` of the file and of its directory) before it counts, and any failure
 * (ENOSPC, EROFS, EACCES, ...) raised as one {@link OutputFileError} that names the path and the
 * cause. A run's files are written only through here, so a full disk stops the run with the last
 * good files intact instead of leaving truncated ones behind.
 * @module
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname } from "node:path";
import { CheckpointError } from "./errors.js";

/**
 * A run's output file could not be written. `path` is the file, `errno` the system's code
 * (e.g. `ENOSPC`); the message says what stayed intact. Exit code 1 (a `CheckpointError`).
 */
export class OutputFileError extends CheckpointError {
  /** The file that could not be written. */
  readonly path: string;
  /** The system error code, e.g. `ENOSPC`, or `undefined` when there is none. */
  readonly errno: string | undefined;

  /**
   * @param path - The file.
   * @param what - What was being done, e.g. "write" or "append to".
   * @param cause - The system error.
   * @param intact - What is still intact, for the message.
   */
  constructor(path: string, what: string, cause: unknown, intact: string) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason =
      code === "ENOSPC"
        ? "no space left on device"
        : cause instanceof Error
          ? cause.message
          : String(cause);
    super(`Could not ${what} ${path}: ${reason}; ${intact}`, { cause });
    this.path = path;
    this.errno = code;
  }
}

/**
 * Writes all of `bytes` to `fd` at its position, continuing after short writes.
 * @throws the system error; a write that makes no progress throws `ENOSPC`-like `EIO`.
 */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const n = writeSync(fd, bytes, done, bytes.byteLength - done);
    if (n <= 0)
      throw Object.assign(new Error(`write made no progress after ${done} bytes`), {
        code: "EIO",
      });
    done += n;
  }
}

/**
 * Flushes a directory's entries (a rename or a new file in it) to the disk. Filesystems that
 * cannot fsync a directory (EINVAL, EISDIR on some) are skipped: there is nothing more to do.
 */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EBADF" && code !== "EPERM") throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `file` atomically and durably: the chunks go to a new temporary file beside it
 * (created exclusively, so nothing planted there is followed), which is fsynced, renamed over
 * `file`, and its directory fsynced. On any failure the temporary file is removed and the old
 * `file`, if any, is left as it was.
 * @throws OutputFileError naming `file` and the cause.
 */
export function writeFileAtomic(file: string, chunks: readonly Uint8Array[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    // A temporary file left by a crashed run of the same pid is not ours to trust: replace it.
    try {
      unlinkSync(tmp);
    } catch {
      // none there
    }
    fd = openSync(tmp, "wx", 0o644);
    for (const chunk of chunks) writeAll(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
    fsyncDirectory(dirname(file));
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or renamed already
    }
    throw new OutputFileError(
      file,
      "write",
      error,
      `the previous ${basename(file)}, if any, is intact`,
    );
  }
}

/**
 * Appends `bytes` to the file open as `fd` (opened for appending) at byte `length` and fsyncs.
 * A write that fails part-way is cut back to `length`, so the file never ends in a torn record.
 * @returns the new length.
 * @throws OutputFileError naming `file`.
 */
export function appendDurably(fd: number, file: string, length: number, bytes: Uint8Array): number {
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
    return length + bytes.byteLength;
  } catch (error) {
    let intact = `${basename(file)} is intact up to its last complete line`;
    try {
      ftruncateSync(fd, length);
      fsyncSync(fd);
    } catch {
      intact = `${basename(file)} may end in a torn line, which --resume removes`;
    }
    throw new OutputFileError(file, "append to", error, intact);
  }
}
