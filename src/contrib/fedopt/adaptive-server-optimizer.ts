/**
 * {@link AdaptiveServerOptimizer}: FedAdagrad, FedYogi and FedAdam, the adaptive server
 * optimizers of Reddi et al., "Adaptive Federated Optimization", ICLR 2021 (Algorithm 2). The
 * three differ only in how the second moment v moves, so they are one class with a rule.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { OptimizerState, ServerOptimizer } from "../../kit/server-optimizer.js";
import { readOptimizerState } from "./optimizer-state.js";

/** How the second moment v moves: the one line where the three algorithms differ. */
export type SecondMomentRule = "adagrad" | "yogi" | "adam";

/** Options of {@link AdaptiveServerOptimizer}, as the option schemas resolve them. */
export interface AdaptiveServerOptimizerOptions {
  /** Which of FedAdagrad, FedYogi, FedAdam. */
  readonly rule: SecondMomentRule;
  /** The server learning rate η_g. */
  readonly serverLr: number;
  /** The first-moment decay β1 in [0, 1). */
  readonly beta1: number;
  /** The second-moment decay β2 in [0, 1) (not used by FedAdagrad). @default 0.999 */
  readonly beta2?: number;
  /** The adaptivity τ > 0. */
  readonly tau: number;
  /**
   * Adam's bias correction (Kingma and Ba 2015, the step-size form before their Section 2.1):
   * η_t = η_g √(1 − β2^t) / (1 − β1^t) at the t-th round (t from 1). FedAdam only; off in the
   * paper. Flower's FedAdam applies it with exponent t + 1 (its `server_round + 1`).
   * @default false
   */
  readonly biasCorrection?: boolean;
}

/**
 * m_t = β1 m_{t−1} + (1 − β1) Δ_t, then per rule
 * - adagrad: v_t = v_{t−1} + Δ_t²
 * - yogi: v_t = v_{t−1} − (1 − β2) Δ_t² sign(v_{t−1} − Δ_t²)
 * - adam: v_t = β2 v_{t−1} + (1 − β2) Δ_t²
 *
 * and x_{t+1} = x_t + η_g m_t / (√v_t + τ), with m_{−1} = v_{−1} = 0 (the paper's Algorithm 2
 * allows v_{−1} ≥ τ²; 0 is what the paper's experiments and Flower use). Arithmetic is float64
 * per coordinate and the round's x update uses the float64 m_t and v_t; m and v are then kept in
 * float32, exactly what a checkpoint holds, so a resumed run takes the same next step bit for bit.
 */
export class AdaptiveServerOptimizer implements ServerOptimizer {
  readonly #options: Readonly<Required<AdaptiveServerOptimizerOptions>>;
  #m: Float32Array | undefined;
  #v: Float32Array | undefined;
  #steps = 0;

  /** @param options - See {@link AdaptiveServerOptimizerOptions}. */
  constructor(options: AdaptiveServerOptimizerOptions) {
    const resolved = { beta2: 0.999, biasCorrection: false, ...options };
    if (resolved.biasCorrection && resolved.rule !== "adam")
      throw new OptionsError("biasCorrection", true, "false unless the rule is adam");
    this.#options = Object.freeze(resolved);
  }

  /** Rounds stepped so far (restored from checkpoints). */
  get steps(): number {
    return this.#steps;
  }

  /** @inheritdoc */
  step(x: Float32Array, delta: Float64Array): void {
    if (delta.length !== x.length)
      throw new OptionsError("delta.length", delta.length, `x.length (${x.length})`);
    if (this.#m === undefined || this.#v === undefined) {
      this.#m = new Float32Array(x.length);
      this.#v = new Float32Array(x.length);
    } else if (this.#m.length !== x.length)
      throw new OptionsError("x.length", x.length, `the optimizer's length (${this.#m.length})`);
    const { rule, beta1, beta2, tau, biasCorrection } = this.#options;
    const t = this.#steps + 1;
    const lr = biasCorrection
      ? (this.#options.serverLr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t)
      : this.#options.serverLr;
    const m = this.#m;
    const v = this.#v;
    for (let i = 0; i < x.length; i++) {
      const d = delta[i] as number;
      const d2 = d * d;
      const vPrev = v[i] as number;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * d;
      const vi =
        rule === "adam"
          ? beta2 * vPrev + (1 - beta2) * d2
          : rule === "yogi"
            ? vPrev - (1 - beta2) * d2 * Math.sign(vPrev - d2)
            : vPrev + d2;
      m[i] = mi;
      v[i] = vi;
      x[i] = (x[i] as number) + (lr * mi) / (Math.sqrt(vi) + tau);
    }
    this.#steps = t;
  }

  /** @inheritdoc */
  captureState(): OptimizerState {
    return {
      vectors:
        this.#m === undefined || this.#v === undefined
          ? {}
          : { m: this.#m.slice(), v: this.#v.slice() },
      json: { steps: this.#steps },
    };
  }

  /** @inheritdoc */
  restoreState(state: OptimizerState): void {
    const { steps, vectors } = readOptimizerState(state, ["m", "v"]);
    this.#steps = steps;
    this.#m = vectors?.m;
    this.#v = vectors?.v;
  }
}
