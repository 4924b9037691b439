export * from "./algorithm.js";
export { type Checkpoint, type CheckpointHeader, readCheckpoint } from "./checkpoint.js";
export type { AlgorithmRef, KitClientConfig, KitDownlink, KitUplink } from "./client-runner.js";
export * from "./client-state-store.js";
export type { ClientExtensionSettings } from "./client-update-filter.js";
export * from "./errors.js";
export {
  type ExperimentInput,
  type ExperimentOptions,
  resolveRunOptions,
} from "./experiment-options.js";
export * from "./model-average-server.js";
export * from "./ordered-fold.js";
export {
  algorithmRef,
  builtInAlgorithmNames,
  parseAlgorithmOptions,
  resolveAlgorithm,
} from "./registry.js";
export { robustPrivacyExtension } from "./robust-privacy-extension.js";
export type { RobustPrivacyOptions } from "./robust-privacy-options.js";
export * from "./robust-private-server.js";
export { type RoundMetrics, type RunIo, type RunSummary, runExperiment } from "./run-experiment.js";
export type { ExtensionSummary, RunExtension } from "./run-extension.js";
export * from "./sampling.js";
export * from "./server-optimizer.js";
export * from "./weighted-average.js";
