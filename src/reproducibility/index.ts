export * from "./client-stream.js";
export * from "./rng.js";
export * from "./rng-suite.js";
export * from "./seed.js";
