/**
 * The coordinate-wise trimmed mean (Flower's FedTrimmedAvg; Yin et al., 2018), as scipy's
 * `trim_mean`: per coordinate, drop the int(beta * n) smallest and largest values and average
 * the rest, unweighted.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { sortColumn } from "./coordinate-median.js";
import { assertUpdateSet } from "./update-set.js";

/**
 * The trimmed mean of the updates, cutting int(beta * n) values from each tail.
 * Memory: it needs every update at once, O(n * d) for n updates of d values (plus O(n) scratch).
 * @param updates - n >= 1 equally long client models or updates.
 * @param beta - The fraction cut from each tail, in [0, 0.5).
 */
export function trimmedMean(updates: readonly Float32Array[], beta: number): Float32Array {
  const length = assertUpdateSet(updates);
  if (typeof beta !== "number" || !(beta >= 0 && beta < 0.5))
    throw new OptionsError("beta", beta, "a fraction in [0, 0.5)");
  const n = updates.length;
  const cut = Math.floor(beta * n);
  const keep = n - 2 * cut;
  const column = new Float64Array(n);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    for (const [k, u] of updates.entries()) column[k] = u[i] as number;
    sortColumn(column);
    let sum = 0;
    for (let k = cut; k < n - cut; k++) sum += column[k] as number;
    out[i] = sum / keep;
  }
  return out;
}
