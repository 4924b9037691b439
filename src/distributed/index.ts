export * from "./deadline.js";
export * from "./env-options.js";
export * from "./errors.js";
export * from "./job-data.js";
export * from "./keyspace.js";
export * from "./redis-connection.js";
export * from "./redis-trainer.js";
export * from "./redis-url.js";
export * from "./redis-worker.js";
export * from "./run-config.js";
export * from "./wire-format.js";
export * from "./worker-limits.js";
export {
  runWorkerProcesses,
  type WorkerProcessesOptions,
  type WorkerProcessSettings,
} from "./worker-processes.js";
