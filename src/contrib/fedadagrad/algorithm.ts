/**
 * FedAdagrad (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2): with
 * Δ_t = Σ p_k (x_k − x_t), m_t = β1 m_{t−1} + (1 − β1) Δ_t; v_t = v_{t−1} + Δ_t²;
 * x_{t+1} = x_t + η_g m_t / (√v_t + τ).
 * @module
 */
import { AdaptiveServerOptimizer } from "../fedopt/adaptive-server-optimizer.js";
import { defineFedOptAlgorithm } from "../fedopt/define-fedopt-algorithm.js";
import { fedAdagradOptionsSchema } from "../fedopt/options.js";

/** FedAdagrad: `--server-lr`, `--beta1`, `--tau`, `--weighted`. */
export const fedAdagrad = defineFedOptAlgorithm({
  name: "fedadagrad",
  summary: "FedAdagrad: Adagrad on the server's pseudo-gradient (Reddi et al., ICLR 2021)",
  options: fedAdagradOptionsSchema,
  optimizer: (o) => new AdaptiveServerOptimizer({ rule: "adagrad", ...o }),
});
