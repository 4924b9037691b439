/**
 * FedAdam (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2): with
 * Δ_t = Σ p_k (x_k − x_t), m_t = β1 m_{t−1} + (1 − β1) Δ_t; v_t = β2 v_{t−1} + (1 − β2) Δ_t²;
 * x_{t+1} = x_t + η_g m_t / (√v_t + τ). `--bias-correction` scales η_g by
 * √(1 − β2^t)/(1 − β1^t) (Kingma and Ba), as Flower's FedAdam does.
 * @module
 */
import { AdaptiveServerOptimizer } from "../fedopt/adaptive-server-optimizer.js";
import { defineFedOptAlgorithm } from "../fedopt/define-fedopt-algorithm.js";
import { fedAdamOptionsSchema } from "../fedopt/options.js";

/** FedAdam: `--server-lr`, `--beta1`, `--beta2`, `--tau`, `--bias-correction`, `--weighted`. */
export const fedAdam = defineFedOptAlgorithm({
  name: "fedadam",
  summary: "FedAdam: Adam on the server's pseudo-gradient (Reddi et al., ICLR 2021)",
  options: fedAdamOptionsSchema,
  optimizer: (o) => new AdaptiveServerOptimizer({ rule: "adam", ...o }),
});
