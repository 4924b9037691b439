export * from "./dataset-sources.js";
export * from "./download-file.js";
export * from "./extract-tar.js";
export * from "./fetch-dataset.js";
