/**
 * The `blazefl worker` command's flags; what it does is in `./worker-action.ts`, loaded when it
 * runs (see there).
 * @module
 */
import { Command, Option } from "commander";
import { REDIS_URL_ENV } from "../../distributed/env-options.js";
import { DEFAULT_PREFIX, DEFAULT_RUN_ID } from "../../distributed/keyspace.js";
import { DEFAULT_WORKER_LIMITS } from "../../distributed/worker-limits.js";
import { builtInAlgorithmNames } from "../../kit/registry.js";

/** The `worker` subcommand. */
export function workerCommand(): Command {
  return new Command("worker")
    .description("Train the clients of `blazefl run --trainer redis` (one line per job)")
    .addOption(
      new Option(
        "--redis <url>",
        `redis://[user:password@]host[:port][/db] or rediss:// (TLS); default $${REDIS_URL_ENV}`,
      ),
    )
    .addOption(new Option("--concurrency <n>", "worker processes, one job each (default 1)"))
    .addOption(
      new Option(
        "--run-id <id>",
        `serve only this run (the server's BLAZEFL_RUN_ID; default "${DEFAULT_RUN_ID}")`,
      ),
    )
    .addOption(new Option("--prefix <prefix>", `Redis key prefix (default "${DEFAULT_PREFIX}")`))
    .addOption(new Option("--device <device>", "train on this device instead of the run's"))
    .addOption(
      new Option(
        "--data-dir <dir>",
        "read image datasets only from here (repeatable; the run's own --data-dir only picks one)",
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(
      new Option(
        "--algorithm <name>",
        `run only this built-in algorithm (repeatable; default all: ${builtInAlgorithmNames().join(", ")})`,
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(
      new Option(
        "--algorithm-module <path>",
        "also run the algorithms this module exports (repeatable); jobs only name an algorithm",
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(
      new Option(
        "--give-up-after <seconds>",
        "exit 1 when Redis has been unreachable this long (default: retry for ever)",
      ),
    )
    .addOption(
      new Option(
        "--max-clients <n>",
        `refuse runs with more clients (default ${DEFAULT_WORKER_LIMITS.maxClients})`,
      ),
    )
    .addOption(
      new Option(
        "--max-epochs <n>",
        `refuse runs with more local epochs (default ${DEFAULT_WORKER_LIMITS.maxEpochs})`,
      ),
    )
    .addOption(
      new Option(
        "--max-batch-size <n>",
        `refuse runs with larger batches (default ${DEFAULT_WORKER_LIMITS.maxBatchSize})`,
      ),
    )
    .addOption(
      new Option(
        "--max-parameters <n>",
        `refuse larger models (default ${DEFAULT_WORKER_LIMITS.maxParameters})`,
      ),
    )
    .addOption(
      new Option(
        "--max-client-size <n>",
        `refuse synthetic clients with more samples (default ${DEFAULT_WORKER_LIMITS.maxClientSize})`,
      ),
    )
    .addOption(
      new Option("--lock-duration <ms>", "job lock; a dead worker's job moves after it (30000)"),
    )
    .addOption(
      new Option("--stalled-interval <ms>", "how often to look for dead workers' jobs (30000)"),
    )
    .addOption(new Option("--max-stalled <n>", "recoveries of a job before it fails (2)"))
    .addOption(new Option("--connect-timeout <ms>", "give up connecting after this (30000)"))
    .action(async (flags: Record<string, unknown>) => {
      try {
        const { resolveWorkerOptions, runWorker } = await import("./worker-action.js");
        await runWorker(resolveWorkerOptions(flags));
      } finally {
        // Whatever a library left open must not keep a finished worker process alive.
        setTimeout(() => process.exit(), 3000).unref();
      }
    });
}
