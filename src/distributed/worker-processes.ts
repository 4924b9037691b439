/**
 * `blazefl worker --concurrency N`: N worker processes, each with its own engine and one
 * {@link RedisWorker} that takes one job at a time.
 *
 * Why processes and not BullMQ concurrency in one process: a worker keeps one model per
 * configuration and trains on it in place (`runKitClient`), so two clients in one process
 * would share it; and a process is BullMQ's unit of failure (its locks die with it), so a
 * crashed engine loses only its own job, which the stalled-job check hands to another worker.
 * @module
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AbortError } from "../core/errors.js";
import { inheritedExecArgv } from "../core/pool/worker-module.js";
import { DistributedError } from "./errors.js";
import type { RedisWorkerOptions } from "./redis-worker.js";

/** The JSON-safe part of {@link RedisWorkerOptions} that child processes receive over IPC. */
export type WorkerProcessSettings = Omit<
  RedisWorkerOptions,
  "log" | "logError" | "beforeTrain" | "tls" | "name"
>;

/** Parent to child. */
export type ParentMessage =
  | { readonly type: "start"; readonly settings: WorkerProcessSettings }
  | { readonly type: "stop" };

/** Child to parent. */
export type ChildMessage =
  | { readonly type: "ready" }
  | { readonly type: "error"; readonly message: string; readonly exitCode: number };

/** The URL of the child entry, with this file's extension (.ts from source, .js compiled). */
function entryUrl(): URL {
  const here = new URL(import.meta.url);
  const ext = /\.[cm]?ts$/.test(here.pathname) ? ".ts" : ".js";
  return new URL(`./worker-process-entry${ext}`, here);
}

/** Options of {@link runWorkerProcesses}. */
export interface WorkerProcessesOptions {
  /** What every child worker is started with. */
  readonly settings: WorkerProcessSettings;
  /** The number of child processes. */
  readonly concurrency: number;
  /** Aborting it closes every child gracefully (their jobs go back to the queue). */
  readonly signal: AbortSignal;
  /** Receives the supervisor's own lines. */
  readonly log: (line: string) => void;
}

/**
 * Starts `concurrency` worker processes and supervises them until `signal` aborts (then every
 * child closes gracefully and this rejects with an `AbortError`) or a child fails (then the
 * others close and this rejects with a `DistributedError`: restart the whole worker).
 * Resolves with nothing only if every child ended by itself without error.
 */
export async function runWorkerProcesses(options: WorkerProcessesOptions): Promise<void> {
  const { settings, concurrency, signal, log } = options;
  const children = new Set<ChildProcess>();
  let stopping = false;
  let failure: Error | undefined;
  const stopAll = () => {
    stopping = true;
    for (const child of children)
      if (child.connected) child.send({ type: "stop" } satisfies ParentMessage);
  };
  const exits: Promise<void>[] = [];
  const readies: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) {
    const child = fork(fileURLToPath(entryUrl()), [], {
      execArgv: inheritedExecArgv(),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.add(child);
    let ready!: () => void;
    let notReady!: (error: Error) => void;
    readies.push(
      new Promise<void>((resolve, reject) => {
        ready = resolve;
        notReady = reject;
      }),
    );
    child.on("message", (message: ChildMessage) => {
      if (message?.type === "ready") ready();
      else if (message?.type === "error") {
        failure ??= new DistributedError(`Worker process ${child.pid}: ${message.message}`);
        notReady(failure);
      }
    });
    exits.push(
      new Promise<void>((resolve) => {
        child.on("exit", (code, exitSignal) => {
          children.delete(child);
          const interrupted = code === 130 && stopping;
          if (code !== 0 && !interrupted) {
            failure ??= new DistributedError(
              `Worker process ${child.pid} exited (${exitSignal !== null ? `signal ${exitSignal}` : `code ${code}`}); stopping the others`,
            );
            notReady(failure);
            if (!stopping) {
              log(failure.message);
              stopAll();
            }
          }
          resolve();
        });
      }),
    );
    child.send({ type: "start", settings } satisfies ParentMessage);
  }
  const onAbort = () => stopAll();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.all(readies).then(
      () => log(`ready: ${concurrency} worker processes`),
      () => {},
    );
    await Promise.all(exits);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw failure;
  if (signal.aborted)
    throw new AbortError("The worker was interrupted; its processes closed gracefully", {
      cause: signal.reason,
    });
}
