/**
 * Ctrl+C for long commands: the first SIGINT, SIGTERM or SIGHUP aborts the work cleanly (workers
 * stopped, last checkpoint kept) and the command exits with 128 + the signal's number (130, 143,
 * 129); a second one exits at once, with the same code.
 * @module
 */
import { AbortError, INTERRUPT_SIGNALS, type InterruptSignal } from "../core/errors.js";

const SIGNALS = Object.keys(INTERRUPT_SIGNALS) as InterruptSignal[];

/**
 * Runs `work` with an AbortSignal that fires on SIGINT, SIGTERM or SIGHUP, and removes the
 * handlers afterwards. The signal's reason is an `AbortError` that names the signal, so that
 * `exitCodeFor` maps the run's failure to that signal's exit code.
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (signal: InterruptSignal) => {
    count++;
    if (count === 1) {
      process.stderr.write(`\nblazefl: ${signal} received, stopping (again to force)\n`);
      controller.abort(new AbortError(`${signal} received`, { signal }));
    } else process.exit(128 + INTERRUPT_SIGNALS[signal]);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    return await work(controller.signal);
  } catch (error) {
    // The work may reject with an AbortError of its own (a trainer's stop event was set): give
    // it the signal, which decides the exit code.
    const reason: unknown = controller.signal.reason;
    if (reason instanceof AbortError && error instanceof AbortError && error.signal === undefined)
      throw new AbortError(error.message, {
        cause: error,
        ...(reason.signal !== undefined ? { signal: reason.signal } : {}),
      });
    throw error;
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}
