/**
 * {@link loadOrCreateResultSecret}: the Redis trainer's result key, kept in a file of the run
 * (mode 0600) so that a resumed server signs and verifies with the same key, and reuses the
 * interrupted round's results, while results of any other server process are never taken.
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { DistributedError } from "./errors.js";

/** The size of a result key. */
export const RESULT_SECRET_BYTES = 32;

/**
 * Reads the 32-byte key in `file`, or creates it (exclusively, mode 0600) with fresh random
 * bytes when there is none.
 * @throws DistributedError naming the file when it cannot be read or written, or does not hold
 *   exactly 32 bytes.
 */
export function loadOrCreateResultSecret(file: string): Uint8Array {
  const secret = randomBytes(RESULT_SECRET_BYTES);
  let fd: number | undefined;
  try {
    fd = openSync(file, "wx", 0o600);
    let done = 0;
    while (done < secret.length) done += writeSync(fd, secret, done, secret.length - done);
    fsyncSync(fd);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST")
      throw new DistributedError(
        `Could not create the run's Redis result key ${file}: ${(error as Error).message}`,
        { cause: error },
      );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new DistributedError(
      `Could not read the run's Redis result key ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (bytes.length !== RESULT_SECRET_BYTES)
    throw new DistributedError(
      `${file} holds ${bytes.length} bytes, not a ${RESULT_SECRET_BYTES}-byte Redis result key; delete it (the interrupted round's results are then trained again)`,
    );
  return bytes;
}
