export * from "./aggregator-spec.js";
export * from "./bulyan.js";
export * from "./coordinate-median.js";
export * from "./krum.js";
export * from "./robust-aggregate.js";
export * from "./trimmed-mean.js";
export * from "./update-set.js";
