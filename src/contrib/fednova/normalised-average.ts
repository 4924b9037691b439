/**
 * FedNova's normalised averaging (Wang, Liu, Liang, Joshi and Poor, "Tackling the Objective
 * Inconsistency Problem in Heterogeneous Federated Optimization", NeurIPS 2020, Eq. 6–7).
 *
 * Plain averaging weights a client that ran more local steps more, so the global model drifts
 * towards a surrogate objective. FedNova divides each client's update by its step count first:
 * d_k = (x − y_k) / τ_k, τ_eff = Σ p_k τ_k, x ← x − η_g τ_eff Σ p_k d_k.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { WeightedAverage } from "../../kit/weighted-average.js";

/**
 * ‖a_k‖₁, the normaliser of a client that ran `steps` local SGD steps with momentum ρ (the
 * paper's Section 4 and its code): Σ_{s=1}^{τ} (1 − ρ^s)/(1 − ρ), which is τ for plain SGD.
 */
export function fedNovaNormaliser(steps: number, momentum = 0): number {
  if (!Number.isSafeInteger(steps) || steps < 1)
    throw new OptionsError("steps", steps, "a positive integer (the local steps taken)");
  if (!(momentum >= 0 && momentum < 1))
    throw new OptionsError("momentum", momentum, "a number in [0, 1)");
  if (momentum === 0) return steps;
  return (steps - (momentum * (1 - momentum ** steps)) / (1 - momentum)) / (1 - momentum);
}

/**
 * Folds the round's client models, in cid order, into FedNova's update, in memory O(model).
 *
 * The update is rewritten as a step from x towards a convex combination of the client models,
 * x ← x + ρ (A − x), with A = Σ q_k y_k, q_k ∝ p_k / τ_k, and ρ = η_g E_p[τ] E_p[1/τ] (≥ η_g by
 * the AM–HM inequality: FedNova moves further than FedAvg when step counts differ). A is a
 * weighted average with weights p_k τ_1/τ_k (scaled by the first client's τ_1), so when every
 * client took the same steps the weights are exactly p_k, ρ is exactly η_g, and with η_g = 1 the
 * result is FedAvg's weighted average bit for bit. (A is rounded to float32 before the step, an
 * error of at most half an ulp of A times ρ.)
 */
export class FedNovaAverage {
  readonly #average: WeightedAverage;
  #reference: number | undefined;
  #weight = 0;
  #weightTimesRatio = 0;
  #weightOverRatio = 0;

  /** @param length - The model's parameter count. */
  constructor(length: number) {
    this.#average = new WeightedAverage(length);
  }

  /** The number of client models added. */
  get count(): number {
    return this.#average.count;
  }

  /** τ_eff = Σ p_k τ_k: the local steps the aggregated update stands for. */
  get effectiveSteps(): number {
    if (this.#reference === undefined) throw new OptionsError("count", 0, "at least one client");
    return (this.#reference * this.#weightTimesRatio) / this.#weight;
  }

  /** ρ / η_g = E_p[τ] E_p[1/τ], how much further than FedAvg's step FedNova moves. */
  get stepScale(): number {
    if (this.#reference === undefined) throw new OptionsError("count", 0, "at least one client");
    return (this.#weightTimesRatio / this.#weight) * (this.#weightOverRatio / this.#weight);
  }

  /**
   * Adds client k's model.
   * @param model - y_k, the client's model after local training.
   * @param weight - p_k up to scale: the client's sample count (weighted) or 1 (uniform).
   * @param normaliser - ‖a_k‖₁, see {@link fedNovaNormaliser} (τ_k for plain SGD).
   */
  add(model: Float32Array, weight: number, normaliser: number): void {
    if (!Number.isFinite(normaliser) || normaliser <= 0)
      throw new OptionsError("normaliser", normaliser, "a finite number > 0 (the local steps)");
    if (!Number.isFinite(weight) || weight <= 0)
      throw new OptionsError("weight", weight, "a finite number > 0");
    this.#reference ??= normaliser;
    const ratio = normaliser / this.#reference;
    this.#average.add(model, weight / ratio);
    this.#weight += weight;
    this.#weightTimesRatio += weight * ratio;
    this.#weightOverRatio += weight / ratio;
  }

  /** Moves `x` (the round's global model, length n) in place: x ← x + ρ (A − x). */
  apply(x: Float32Array, serverLr = 1): void {
    if (!Number.isFinite(serverLr) || serverLr <= 0)
      throw new OptionsError("serverLr", serverLr, "a finite number > 0");
    const scale = serverLr * this.stepScale;
    const target = this.#average.result();
    if (x.length !== target.length)
      throw new OptionsError("x.length", x.length, `the models' length (${target.length})`);
    const keep = 1 - scale;
    for (let i = 0; i < x.length; i++)
      x[i] = scale * (target[i] as number) + keep * (x[i] as number);
  }

  /** Forgets every client added, for the next round. */
  reset(): void {
    this.#average.reset();
    this.#reference = undefined;
    this.#weight = 0;
    this.#weightTimesRatio = 0;
    this.#weightOverRatio = 0;
  }
}
