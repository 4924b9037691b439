/**
 * Federated evaluation: the sampled clients' accuracy on their own test splits, summarised
 * (mean, weighted mean, min, p10/p50/p90), for any algorithm.
 * @module
 */
export * from "./accuracy-spread.js";
export * from "./with-federated-evaluation.js";
