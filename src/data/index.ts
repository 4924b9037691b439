export * from "./datasets/index.js";
export * from "./errors.js";
export * from "./federated/index.js";
export * from "./fetch/index.js";
export * from "./filtered-dataset.js";
export * from "./partition/index.js";
export * from "./store/index.js";
