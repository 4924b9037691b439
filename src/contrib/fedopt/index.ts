/**
 * The server optimizers of FedAvgM and the FedOpt family (Reddi et al., "Adaptive Federated
 * Optimization", ICLR 2021), with their option schemas.
 * @module
 */
export * from "./adaptive-server-optimizer.js";
export * from "./options.js";
export * from "./server-momentum.js";
