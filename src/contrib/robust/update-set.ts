/**
 * The checks every robust aggregator makes on its input: a non-empty set of equally long
 * vectors (client models or updates), with one positive weight each where weights are used.
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/**
 * Asserts that `updates` is a non-empty array of equally long Float32Arrays of finite values and
 * returns their length: a diverged client's NaN is for the run to report, not for a sort to
 * place.
 */
export function assertUpdateSet(updates: readonly Float32Array[]): number {
  if (!Array.isArray(updates) || updates.length === 0)
    throw new OptionsError("updates", updates, "a non-empty array of Float32Array updates");
  const length = updates[0]?.length ?? 0;
  for (const [k, u] of updates.entries()) {
    if (!(u instanceof Float32Array) || u.length !== length)
      throw new OptionsError(`updates[${k}]`, u, `a Float32Array of length ${length}`);
    for (let i = 0; i < length; i++)
      if (!Number.isFinite(u[i] as number))
        throw new OptionsError(`updates[${k}][${i}]`, u[i], "a finite number");
  }
  return length;
}

/** Asserts one finite weight > 0 per update (FedAvg's weights: the clients' example counts). */
export function assertWeights(weights: readonly number[], count: number): void {
  if (!Array.isArray(weights) || weights.length !== count)
    throw new OptionsError("weights", weights, `an array of ${count} weights`);
  for (const [k, w] of weights.entries())
    if (typeof w !== "number" || !(w > 0) || !Number.isFinite(w))
      throw new OptionsError(`weights[${k}]`, w, "a finite number > 0");
}

/** The weighted mean of `updates[k]` for k in `indices`, accumulated in float64 in that order. */
export function weightedMeanOf(
  updates: readonly Float32Array[],
  weights: readonly number[],
  indices: readonly number[],
): Float32Array {
  const length = updates[0]?.length ?? 0;
  const sum = new Float64Array(length);
  let total = 0;
  for (const k of indices) {
    const u = updates[k] as Float32Array;
    const w = weights[k] as number;
    for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + w * (u[i] as number);
    total += w;
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (sum[i] as number) / total;
  return out;
}
