export * from "./device.js";
export * from "./engine-info.js";
export * from "./engine-provider.js";
export * from "./errors.js";
export * from "./init-engine.js";
export * from "./tfjs.js";
export * from "./wasm-kernels/register-wasm-kernels.js";
