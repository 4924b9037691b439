/**
 * {@link PseudoGradientServer}: the server part of the FedOpt family. It folds the round's
 * client models, in sampled-cid order, into the pseudo-gradient Δ = Σ p_k (x_k − x) (float64,
 * memory O(model)) and hands it to a {@link ServerOptimizer}, which moves the global model
 * (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 1).
 * @module
 */
import type { ClientUpdate, ServerPart } from "../../kit/algorithm.js";
import type { OptimizerState, ServerOptimizer } from "../../kit/server-optimizer.js";

/** Options of {@link PseudoGradientServer}. */
export interface PseudoGradientServerOptions {
  /** p_k ∝ n_k (Flower) instead of 1/|S| (the paper). @default false */
  readonly weighted?: boolean;
}

/**
 * Δ_t = Σ_k p_k (x_k − x_t) over the round's clients with weight > 0, then
 * `optimizer.step(x, Δ)`. A round with no such client leaves x and the optimizer as they were.
 */
export class PseudoGradientServer implements ServerPart {
  readonly #optimizer: ServerOptimizer;
  readonly #weighted: boolean;
  readonly #sum: Float64Array;
  #totalWeight = 0;
  #model: Float32Array;

  /**
   * @param initialModel - Copied.
   * @param optimizer - Moves the model each round; its state is this part's state.
   */
  constructor(
    initialModel: Float32Array,
    optimizer: ServerOptimizer,
    options: PseudoGradientServerOptions = {},
  ) {
    this.#model = initialModel.slice();
    this.#optimizer = optimizer;
    this.#weighted = options.weighted ?? false;
    this.#sum = new Float64Array(initialModel.length);
  }

  /** @inheritdoc */
  get model(): Float32Array {
    return this.#model;
  }

  /** @inheritdoc */
  fold(update: ClientUpdate): void {
    if (update.weight <= 0) return;
    const vector = update.vectors.model;
    if (vector === undefined) throw new TypeError("uplink vector model is missing");
    const w = this.#weighted ? update.weight : 1;
    const x = this.#model;
    const sum = this.#sum;
    for (let i = 0; i < sum.length; i++)
      sum[i] = (sum[i] as number) + w * ((vector[i] as number) - (x[i] as number));
    this.#totalWeight += w;
  }

  /** @inheritdoc */
  finish(_round: number): void {
    if (this.#totalWeight > 0) {
      const delta = new Float64Array(this.#sum.length);
      for (let i = 0; i < delta.length; i++)
        delta[i] = (this.#sum[i] as number) / this.#totalWeight;
      // A fresh array: the round's downlink may still be a view of the old one.
      const next = this.#model.slice();
      this.#optimizer.step(next, delta);
      this.#model = next;
    }
    this.#reset();
  }

  /** @inheritdoc */
  captureState(): OptimizerState {
    return this.#optimizer.captureState();
  }

  /** @inheritdoc */
  restoreState(state: OptimizerState, model: Float32Array): void {
    this.#optimizer.restoreState(state);
    this.#model = model.slice();
    this.#reset();
  }

  #reset(): void {
    this.#sum.fill(0);
    this.#totalWeight = 0;
  }
}
