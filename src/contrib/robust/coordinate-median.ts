/**
 * The coordinate-wise median (Flower's FedMedian; Yin et al., 2018): robust to a minority of
 * arbitrary updates in every coordinate, at the price of ignoring the example counts.
 * @module
 */
import { assertUpdateSet } from "./update-set.js";

/**
 * Sorts `values` ascending in place: insertion sort for the short columns of a round (a few
 * times faster than `TypedArray.prototype.sort` there), the built-in sort beyond 64 values.
 * The values must be finite (the aggregators check).
 */
export function sortColumn(values: Float64Array): Float64Array {
  const n = values.length;
  if (n > 64) return values.sort();
  for (let i = 1; i < n; i++) {
    const v = values[i] as number;
    let j = i - 1;
    while (j >= 0 && (values[j] as number) > v) {
      values[j + 1] = values[j] as number;
      j--;
    }
    values[j + 1] = v;
  }
  return values;
}

/** The median of `values` (sorted in place); the mean of the two middle ones when even. */
export function medianInPlace(values: Float64Array): number {
  sortColumn(values);
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
