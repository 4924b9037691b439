export * from "./catalog.js";
export * from "./cifar10.js";
export * from "./idx.js";
export * from "./leaf-synthetic.js";
export * from "./read-file.js";
