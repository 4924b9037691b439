/**
 * The coordinate-wise median (Flower's FedMedian; Yin et al., 2018): robust to a minority of
 * arbitrary updates in every coordinate, at the price of ignoring the example counts.
 * @module
 */
import { assertUpdateSet } from "./update-set.js";

/** The median of `values` (sorted in place); the mean of the two middle ones when even. */
export function medianInPlace(values: Float64Array): number {
  values.sort();
  const n = values.length;
  const mid = n >> 1;
  return n % 2 === 1
    ? (values[mid] as number)
    : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/**
 * The coordinate-wise median of the updates, unweighted (as numpy's `median` along axis 0).
 * Memory: it needs every update at once, O(n * d) for n updates of d values (plus O(n)
 * scratch), where FedAvg's streaming mean needs O(d).
 * @param updates - n >= 1 equally long client models or updates.
 */
export function coordinateMedian(updates: readonly Float32Array[]): Float32Array {
  const length = assertUpdateSet(updates);
  const column = new Float64Array(updates.length);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    for (const [k, u] of updates.entries()) column[k] = u[i] as number;
    out[i] = medianInPlace(column);
  }
  return out;
}
