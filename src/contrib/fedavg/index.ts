export * from "./client-config.js";
export * from "./client-training.js";
export * from "./model-factory.js";
export * from "./packages.js";
export * from "./serial-trainer.js";
export * from "./server-handler.js";
export * from "./trainer-options.js";
