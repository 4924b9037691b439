/**
 * {@link ServerMomentumOptimizer}: FedAvgM, server-side momentum on the pseudo-gradient
 * (Hsu, Qi and Brown, "Measuring the Effects of Non-Identical Data Distribution for Federated
 * Visual Classification", 2019; the FedAvgM baseline of Reddi et al., ICLR 2021).
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { OptimizerState, ServerOptimizer } from "../../kit/server-optimizer.js";
import { readOptimizerState } from "./optimizer-state.js";
import type { FedAvgMOptions } from "./options.js";

/**
 * m_t = β m_{t−1} + Δ_t; x_{t+1} = x_t + η_g m_t, with m_{−1} = 0 (so the first round is
 * x + η_g Δ, Flower's "momentum vector = pseudo-gradient" at round 1). Arithmetic is float64 per
 * coordinate and the round's x update uses the float64 m_t; m is then kept in float32, exactly
 * what a checkpoint holds, so a resumed run takes the same next step bit for bit.
 */
export class ServerMomentumOptimizer implements ServerOptimizer {
  readonly #lr: number;
  readonly #beta: number;
  #m: Float32Array | undefined;
  #steps = 0;

  /** @param options - Validated by {@link fedAvgMOptionsSchema}. */
  constructor(options: Pick<FedAvgMOptions, "serverLr" | "serverMomentum">) {
    this.#lr = options.serverLr;
    this.#beta = options.serverMomentum;
  }

  /** Rounds stepped so far (restored from checkpoints). */
  get steps(): number {
    return this.#steps;
  }

  /** @inheritdoc */
  step(x: Float32Array, delta: Float64Array): void {
    if (delta.length !== x.length)
      throw new OptionsError("delta.length", delta.length, `x.length (${x.length})`);
    if (this.#m === undefined) this.#m = new Float32Array(x.length);
    else if (this.#m.length !== x.length)
      throw new OptionsError("x.length", x.length, `the optimizer's length (${this.#m.length})`);
    const m = this.#m;
    const lr = this.#lr;
    const beta = this.#beta;
    for (let i = 0; i < x.length; i++) {
      const mi = beta * (m[i] as number) + (delta[i] as number);
      m[i] = mi;
      x[i] = (x[i] as number) + lr * mi;
    }
    this.#steps++;
  }

  /** @inheritdoc */
  captureState(): OptimizerState {
    return {
      vectors: this.#m === undefined ? {} : { m: this.#m.slice() },
      json: { steps: this.#steps },
    };
  }

  /** @inheritdoc */
  restoreState(state: OptimizerState): void {
    const { steps, vectors } = readOptimizerState(state, ["m"]);
    this.#steps = steps;
    this.#m = vectors?.m;
  }
}
