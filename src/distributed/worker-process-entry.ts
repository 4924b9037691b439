/**
 * The entry of one child of `blazefl worker --concurrency N` (see `runWorkerProcesses`): it
 * receives its settings over IPC (so no password appears on a command line), runs one
 * {@link RedisWorker}, and closes it gracefully on "stop", on SIGINT/SIGTERM, or when the
 * parent goes away. A second SIGINT exits at once.
 * @module
 */
import { exitCodeFor } from "../core/errors.js";
import { RedisWorker } from "./redis-worker.js";
import type { ChildMessage, ParentMessage } from "./worker-processes.js";

const prefix = `blazefl worker ${process.pid}: `;
let worker: RedisWorker | undefined;
let stopping = false;

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Exit whatever Redis does: the close is bounded, and this bounds what it does not cover.
  setTimeout(() => process.exit(130), 15_000).unref();
  if (worker !== undefined) {
    await worker.close();
    const stats = worker.stats;
    process.stdout.write(
      `${prefix}closed: ${stats.completed} done, ${stats.rejected} rejected, ${stats.failed} failed, ${stats.requeued} given back\n`,
    );
  }
  process.exit(130);
}

async function start(message: Extract<ParentMessage, { type: "start" }>): Promise<void> {
  try {
    worker = new RedisWorker({
      ...message.settings,
      log: (line) => process.stdout.write(`${prefix}${line}\n`),
      logError: (line) => process.stderr.write(`${prefix}${line}\n`),
    });
    await worker.start();
    process.stdout.write(
      `${prefix}ready: run ${worker.keys.runId}, queue ${worker.keys.queueName}, ${worker.connection.redacted}\n`,
    );
    send({ type: "ready" });
    void worker.lost.then((error) => {
      if (stopping) return;
      stopping = true;
      send({ type: "error", message: error.message, exitCode: 1 });
      process.exit(1);
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${prefix}${text}\n`);
    send({ type: "error", message: text, exitCode: exitCodeFor(error) });
    process.exit(exitCodeFor(error));
  }
}

let signals = 0;
const onSignal = () => {
  signals++;
  if (signals > 1) process.exit(130);
  void stop();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
process.on("disconnect", () => void stop());
process.on("message", (message: ParentMessage) => {
  if (message?.type === "start" && worker === undefined && !stopping) void start(message);
  else if (message?.type === "stop") void stop();
});
