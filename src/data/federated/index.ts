export * from "./classification-partitioned-dataset.js";
export * from "./classification-split.js";
export * from "./federated-classification-dataset.js";
export * from "./federated-dataset-spec.js";
export * from "./load-federated-dataset.js";
export * from "./synthetic-partitioned-dataset.js";
export * from "./text-partitioned-dataset.js";
