/**
 * The server optimizers of FedAvgM and the FedOpt family (Reddi et al., "Adaptive Federated
 * Optimization", ICLR 2021), their option schemas, and the pieces to write another one.
 * @module
 */
export * from "./adaptive-server-optimizer.js";
export * from "./define-fedopt-algorithm.js";
export * from "./options.js";
export * from "./pseudo-gradient-server.js";
export * from "./server-momentum.js";
