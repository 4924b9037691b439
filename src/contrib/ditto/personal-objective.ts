/**
 * Ditto's personal objective (Li, Hu, Beirami and Smith, "Ditto: Fair and Robust Federated
 * Learning Through Personalization", ICML 2021, Eq. 2 and Algorithm 1): each client keeps a
 * personal model v_k and trains it on h_k(v; x_t) = F_k(v) + (λ/2)‖v − x_t‖², beside the usual
 * FedAvg update of the global model x. λ = 0 is purely local training; λ → ∞ gives the global
 * model. The local step is v ← v − η (∇F_k(v) + λ (v − x_t)).
 * @module
 */
import { OptionsError } from "../../core/errors.js";

function check(personal: Float32Array, global: Float32Array, lambda: number): void {
  if (!Number.isFinite(lambda) || lambda < 0)
    throw new OptionsError("lambda", lambda, "a finite number >= 0");
  if (global.length !== personal.length)
    throw new OptionsError("global.length", global.length, `${personal.length}`);
}

/** h_k(v; x_t) = F_k(v) + (λ/2)‖v − x_t‖², given the loss F_k(v), summed in float64. */
export function dittoObjective(
  loss: number,
  personal: Float32Array,
  global: Float32Array,
  lambda: number,
): number {
  check(personal, global, lambda);
  let squared = 0;
  for (let i = 0; i < personal.length; i++) {
    const d = (personal[i] as number) - (global[i] as number);
    squared += d * d;
  }
  return loss + (lambda / 2) * squared;
}

/** The penalty's gradient λ (v − x_t), the term the personal SGD step adds, into `out`. */
export function dittoPenaltyGradient(
  personal: Float32Array,
  global: Float32Array,
  lambda: number,
  out: Float32Array = new Float32Array(personal.length),
): Float32Array {
  check(personal, global, lambda);
  if (out.length !== personal.length)
    throw new OptionsError("out.length", out.length, `${personal.length}`);
  for (let i = 0; i < personal.length; i++)
    out[i] = lambda * ((personal[i] as number) - (global[i] as number));
  return out;
}
