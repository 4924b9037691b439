export * from "./core/index.js";
export * from "./reproducibility/index.js";
