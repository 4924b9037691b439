/**
 * FedAvgM (Hsu, Qi and Brown, "Measuring the Effects of Non-Identical Data Distribution for
 * Federated Visual Classification", 2019; as in Reddi et al., ICLR 2021): FedAvg with server
 * momentum on the pseudo-gradient Δ_t = Σ p_k (x_k − x_t):
 * m_t = β m_{t−1} + Δ_t; x_{t+1} = x_t + η_g m_t.
 * @module
 */
import { defineFedOptAlgorithm } from "../fedopt/define-fedopt-algorithm.js";
import { fedAvgMOptionsSchema } from "../fedopt/options.js";
import { ServerMomentumOptimizer } from "../fedopt/server-momentum.js";

/** FedAvgM: `--server-lr`, `--server-momentum`, `--weighted`. */
export const fedAvgM = defineFedOptAlgorithm({
  name: "fedavgm",
  summary: "FedAvgM: server momentum on the pseudo-gradient (Hsu et al. 2019; Reddi et al. 2021)",
  options: fedAvgMOptionsSchema,
  optimizer: (o) => new ServerMomentumOptimizer(o),
});
