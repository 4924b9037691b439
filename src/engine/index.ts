export * from "./device.js";
export * from "./engine-info.js";
export * from "./engine-provider.js";
export * from "./init-engine.js";
export * from "./wasm-kernels/register-wasm-kernels.js";
