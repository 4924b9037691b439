/**
 * Bounded waits: every Redis call whose failure could otherwise wait forever goes through
 * {@link withDeadline}.
 * @module
 */
import { DistributedError } from "./errors.js";

/**
 * Resolves like `promise`, or rejects with a {@link DistributedError} saying `what` did not
 * finish within `ms` milliseconds. The timer never keeps the process alive.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DistributedError(`${what} did not finish within ${ms} ms`)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `close` with a deadline and swallows its failure: for teardown paths. */
export async function closeQuietly(close: () => Promise<unknown>, ms: number): Promise<void> {
  try {
    await withDeadline(close(), ms, "close");
  } catch {
    // Teardown must finish; what was not closed is dropped with the process.
  }
}
