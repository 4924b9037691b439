/**
 * `blazefl worker --redis URL [--concurrency N] [--run-id ID]`: trains the clients of
 * `blazefl run --trainer redis` on this machine. One line per job on stdout; errors on stderr.
 * Ctrl+C, SIGTERM or SIGHUP closes it gracefully (a job in training goes back to the queue) and
 * exits with 128 + the signal's number (130, 143, 129), within {@link EXIT_DEADLINE_MS} whatever
 * Redis does; a second signal exits at once.
 * `--give-up-after` exits 1 once Redis has been unreachable that long; `--max-*` bound the runs
 * it serves and `--data-dir` (repeatable) the directories it reads.
 *
 * The commander definition is in `./worker.ts`, which loads this module only when the command
 * runs: bullmq and ioredis cost every other command about 0.12 s of start-up.
 * @module
 */
import { resolve } from "node:path";
import { z } from "zod";
import {
  AbortError,
  INTERRUPT_SIGNALS,
  type InterruptSignal,
  OptionsError,
} from "../../core/errors.js";
import { resolveRedisUrl } from "../../distributed/env-options.js";
import { DEFAULT_PREFIX, DEFAULT_RUN_ID } from "../../distributed/keyspace.js";
import { closeRedis, connectRedis } from "../../distributed/redis-connection.js";
import { parseRedisUrl } from "../../distributed/redis-url.js";
import { RedisWorker } from "../../distributed/redis-worker.js";
import { type RedisWorkerLimits, WORKER_LIMIT_FLAGS } from "../../distributed/worker-limits.js";
import {
  runWorkerProcesses,
  type WorkerProcessSettings,
} from "../../distributed/worker-processes.js";
import { flagName } from "../../kit/experiment-options.js";

const MS = "a positive integer number of milliseconds";
const ms = z.coerce.number(MS).int(MS).positive(MS);
const COUNT = "a positive integer";
const count = z.coerce.number(COUNT).int(COUNT).positive(COUNT).max(Number.MAX_SAFE_INTEGER, COUNT);
const workerFlagsSchema = z
  .object({
    redis: z.string().min(1),
    concurrency: z.coerce
      .number("an integer in [1, 1024]")
      .int("an integer in [1, 1024]")
      .min(1, "an integer in [1, 1024]")
      .max(1024, "an integer in [1, 1024]")
      .default(1),
    runId: z.string().default(DEFAULT_RUN_ID),
    prefix: z.string().default(DEFAULT_PREFIX),
    device: z.string().optional(),
    dataDir: z
      .union([z.string().min(1, "a directory"), z.array(z.string().min(1, "a directory"))])
      .optional(),
    algorithm: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    algorithmModule: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    giveUpAfter: z.coerce
      .number("a positive number of seconds")
      .positive("a positive number of seconds")
      .max(1e9, "a positive number of seconds")
      .optional(),
    maxClients: count.optional(),
    maxEpochs: count.optional(),
    maxBatchSize: count.optional(),
    maxParameters: count.optional(),
    maxClientSize: count.optional(),
    lockDuration: ms.optional(),
    stalledInterval: ms.optional(),
    maxStalled: z.coerce
      .number("a positive integer")
      .int("a positive integer")
      .min(1, "a positive integer")
      .optional(),
    connectTimeout: ms.optional(),
  })
  .strict();

/** The worker's resolved options. */
export interface WorkerCommandOptions {
  /** What each worker (process) is started with. */
  readonly settings: WorkerProcessSettings;
  /** The number of worker processes. */
  readonly concurrency: number;
}

/**
 * Validates the worker's flags (`--redis` falls back to `$BLAZEFL_REDIS_URL`).
 * @throws OptionsError naming the flag.
 */
export function resolveWorkerOptions(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): WorkerCommandOptions {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) input[key] = value;
  input.redis = resolveRedisUrl(input.redis, env);
  const parsed = workerFlagsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === "unrecognized_keys") {
      const key = String(issue.keys[0]);
      throw new OptionsError(flagName(key), input[key], "a known option of `blazefl worker`");
    }
    const key = String(issue?.path[0] ?? "options");
    throw new OptionsError(flagName(key), input[key], issue?.message ?? "a valid value");
  }
  const f = parsed.data;
  const limits: Partial<Record<keyof RedisWorkerLimits, number>> = {};
  for (const key of Object.keys(WORKER_LIMIT_FLAGS) as (keyof RedisWorkerLimits)[]) {
    const value = f[key];
    if (value !== undefined) limits[key] = value;
  }
  const settings: WorkerProcessSettings = {
    url: f.redis,
    runId: f.runId,
    prefix: f.prefix,
    ...(f.device !== undefined ? { device: f.device } : {}),
    ...(f.dataDir !== undefined
      ? { dataDirs: typeof f.dataDir === "string" ? [f.dataDir] : f.dataDir }
      : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(f.algorithm !== undefined
      ? { algorithms: typeof f.algorithm === "string" ? [f.algorithm] : f.algorithm }
      : {}),
    ...(f.algorithmModule !== undefined
      ? {
          algorithmModules: (typeof f.algorithmModule === "string"
            ? [f.algorithmModule]
            : f.algorithmModule
          ).map((path) => resolve(path)),
        }
      : {}),
    ...(f.giveUpAfter !== undefined ? { giveUpAfterMs: Math.ceil(f.giveUpAfter * 1000) } : {}),
    ...(f.lockDuration !== undefined ? { lockDurationMs: f.lockDuration } : {}),
    ...(f.stalledInterval !== undefined ? { stalledIntervalMs: f.stalledInterval } : {}),
    ...(f.maxStalled !== undefined ? { maxStalledCount: f.maxStalled } : {}),
    ...(f.connectTimeout !== undefined ? { connectTimeoutMs: f.connectTimeout } : {}),
  };
  // The worker's constructor checks the rest (run id, prefix, device) with the flags' names.
  try {
    new RedisWorker(settings);
  } catch (error) {
    if (error instanceof OptionsError) {
      const option = error.option.startsWith("dataDirs")
        ? "--data-dir"
        : error.option.startsWith("algorithmModules")
          ? "--algorithm-module"
          : error.option.startsWith("algorithms")
            ? "--algorithm"
            : flagName(error.option);
      throw new OptionsError(option, error.received, error.expected, { cause: error });
    }
    throw error;
  }
  return { settings, concurrency: f.concurrency };
}

/** The longest a worker takes to exit after SIGINT/SIGTERM/SIGHUP, whatever Redis does. */
export const EXIT_DEADLINE_MS = 15_000;

/** The exit code of a stop caused by `name`: 128 + its number (130, 143, 129), as `blazefl run`. */
const exitCodeOf = (name: InterruptSignal): number => 128 + INTERRUPT_SIGNALS[name];

/**
 * An AbortSignal for SIGINT/SIGTERM/SIGHUP (its reason an {@link AbortError} naming the signal,
 * so the exit code is 128 + its number); a second signal exits at once, and so does the first
 * after {@link EXIT_DEADLINE_MS} if the graceful close has not finished by then.
 */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let first: InterruptSignal | undefined;
  const onSignal = (name: InterruptSignal) => {
    if (first === undefined) {
      first = name;
      process.stderr.write(`\nblazefl worker: ${name} received, closing (again to force)\n`);
      controller.abort(new AbortError(`${name} received`, { signal: name }));
      setTimeout(() => {
        process.stderr.write(
          `blazefl worker: not closed ${EXIT_DEADLINE_MS / 1000} s after ${name}; exiting\n`,
        );
        process.exit(exitCodeOf(name));
      }, EXIT_DEADLINE_MS).unref();
    } else process.exit(exitCodeOf(first));
  };
  const names = Object.keys(INTERRUPT_SIGNALS) as InterruptSignal[];
  for (const name of names) process.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of names) process.off(name, onSignal);
    },
  };
}

/**
 * Runs the worker until interrupted.
 * @throws AbortError after a graceful close (exit 128 + the signal's number: 130 SIGINT, 143
 *   SIGTERM, 129 SIGHUP); DistributedError when Redis cannot be
 *   reached or a worker process fails (exit 1); OptionsError / DeviceError (exit 2).
 */
export async function runWorker(options: WorkerCommandOptions): Promise<void> {
  const prefix = `blazefl worker ${process.pid}: `;
  const out = (line: string) => process.stdout.write(`${prefix}${line}\n`);
  const err = (line: string) => process.stderr.write(`${prefix}${line}\n`);
  const { signal, dispose } = interruptSignal();
  try {
    if (options.concurrency > 1) {
      // Check Redis once here, so an unreachable server gives one error, not one per process.
      const config = parseRedisUrl(options.settings.url, "--redis");
      const timeout = options.settings.connectTimeoutMs;
      await closeRedis(
        await connectRedis(config, timeout !== undefined ? { connectTimeoutMs: timeout } : {}),
      );
      await runWorkerProcesses({
        settings: options.settings,
        concurrency: options.concurrency,
        signal,
        log: out,
      });
      return;
    }
    const worker = new RedisWorker({ ...options.settings, log: out, logError: err });
    const interrupted = new Promise<undefined>((resolve) => {
      signal.addEventListener(
        "abort",
        () => {
          void worker.close();
          resolve(undefined);
        },
        { once: true },
      );
    });
    await worker.start();
    out(
      `ready: run ${worker.keys.runId}, queue ${worker.keys.queueName}, ${worker.connection.redacted}`,
    );
    const lost = await Promise.race([interrupted, worker.lost]);
    await worker.close();
    const stats = worker.stats;
    out(
      `closed: ${stats.completed} done, ${stats.rejected} rejected, ${stats.failed} failed, ${stats.requeued} given back`,
    );
    if (lost !== undefined) throw lost;
    throw new AbortError("The worker was interrupted and closed gracefully", {
      cause: signal.reason,
    });
  } finally {
    dispose();
  }
}
