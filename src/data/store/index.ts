export * from "./classification-store.js";
export * from "./feature-store.js";
export * from "./image-store.js";
