export * from "./client-trainer.js";
export * from "./errors.js";
export * from "./model-selector.js";
export * from "./partitioned-dataset.js";
export { FileStopEvent, type PoolStopEvent, ThreadStopEvent } from "./pool/stop-flags.js";
export {
  assertDevice,
  type ClientJob,
  type ClientTask,
  type ClientTaskContext,
  type ClientTrainerOptions,
  CPU_DEVICES,
  clientDevice,
  type PoolClientTrainerOptions,
  type StallInfo,
  type ThreadWorkerContext,
  type WorkerContext,
} from "./pool/trainer-options.js";
export { ClientTrainerTemplate, type CollectableRun } from "./pool/trainer-template.js";
export { isPoolWorker } from "./pool/worker-runtime.js";
export * from "./process-pool-trainer.js";
export * from "./serial-client-trainer.js";
export * from "./serialize.js";
export * from "./server-handler.js";
export * from "./shared-memory.js";
export * from "./stop-event.js";
export * from "./thread-pool-trainer.js";
export * from "./validate.js";
