/**
 * FedYogi (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2): with
 * Δ_t = Σ p_k (x_k − x_t), m_t = β1 m_{t−1} + (1 − β1) Δ_t;
 * v_t = v_{t−1} − (1 − β2) Δ_t² sign(v_{t−1} − Δ_t²); x_{t+1} = x_t + η_g m_t / (√v_t + τ).
 * @module
 */
import { AdaptiveServerOptimizer } from "../fedopt/adaptive-server-optimizer.js";
import { defineFedOptAlgorithm } from "../fedopt/define-fedopt-algorithm.js";
import { fedYogiOptionsSchema } from "../fedopt/options.js";

/** FedYogi: `--server-lr`, `--beta1`, `--beta2`, `--tau`, `--weighted`. */
export const fedYogi = defineFedOptAlgorithm({
  name: "fedyogi",
  summary: "FedYogi: Yogi on the server's pseudo-gradient (Reddi et al., ICLR 2021)",
  options: fedYogiOptionsSchema,
  optimizer: (o) => new AdaptiveServerOptimizer({ rule: "yogi", ...o }),
});
