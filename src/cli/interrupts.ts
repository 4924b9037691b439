/**
 * Ctrl+C for long commands: the first SIGINT (or SIGTERM) aborts the work cleanly (workers
 * stopped, last checkpoint kept) and the command exits with 130; a second one exits at once.
 * @module
 */

/**
 * Runs `work` with an AbortSignal that fires on SIGINT or SIGTERM, and removes the handlers
 * afterwards.
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      process.stderr.write(`\nblazefl: ${signal} received, stopping (again to force)\n`);
      controller.abort(new Error(`${signal} received`));
    } else process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
