export * from "./contrib/fedavg/index.js";
export * from "./core/index.js";
export * from "./data/index.js";
export * from "./engine/index.js";
export * from "./models/index.js";
export * from "./reproducibility/index.js";
