/**
 * Bulyan (El Mhamdi, Guerraoui and Rouault, "The Hidden Vulnerability of Distributed Learning in
 * Byzantium", 2018): Krum picks theta = n - 2f central updates, then per coordinate the
 * beta = theta - 2f values closest to their median are averaged. Needs n >= 4f + 3.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { medianInPlace } from "./coordinate-median.js";
import { krumScores, squaredDistances } from "./krum.js";
import { assertUpdateSet } from "./update-set.js";

/**
 * The theta updates Bulyan keeps, in the order chosen: Krum is applied again to what remains
 * after each pick, as in the paper (and Flower), so each pick is scored among the survivors.
 * Ties go to the lower index.
 */
export function bulyanSelect(updates: readonly Float32Array[], f: number): number[] {
  assertBulyanFits(updates.length, f);
  const n = updates.length;
  const distances = squaredDistances(updates);
  const remaining = Array.from({ length: n }, (_, k) => k);
  const selected: number[] = [];
  while (selected.length < n - 2 * f) {
    const scores = krumScores(distances, n, f, remaining);
    let best = 0;
    for (let s = 1; s < remaining.length; s++)
      if ((scores[s] as number) < (scores[best] as number)) best = s;
    selected.push(remaining[best] as number);
    remaining.splice(best, 1);
  }
  return selected;
}

/**
 * Asserts that Bulyan can run on `n` updates with `f` malicious ones: n >= 4f + 3.
 * @throws OptionsError naming `option` (the CLI's `--aggregator`).
 */
export function assertBulyanFits(n: number, f: number, option = "--aggregator"): void {
  if (!Number.isInteger(f) || f < 0)
    throw new OptionsError(option, `bulyan:${f}`, "bulyan:F with F a non-negative integer");
  if (n < 4 * f + 3)
    throw new OptionsError(
      option,
      `bulyan:${f}`,
      `an F with at least 4F + 3 = ${4 * f + 3} updates per round (this round has ${n})`,
    );
}

/**
 * Bulyan's aggregate, unweighted. Values equally close to the median are taken in the order
 * Krum selected them.
 * Memory: it needs every update at once, O(n * d), plus the O(n^2) distance matrix and O(n)
 * scratch per coordinate; time O(n^2 * d + n^3).
 * @param updates - n >= 4f + 3 equally long client models or updates.
 * @param f - The number of malicious clients to tolerate.
 * @throws OptionsError naming `--aggregator` when n < 4f + 3.
 */
export function bulyan(updates: readonly Float32Array[], f: number): Float32Array {
  const length = assertUpdateSet(updates);
  const selected = bulyanSelect(updates, f);
  const theta = selected.length;
  const beta = theta - 2 * f;
  const column = new Float64Array(theta);
  const sorted = new Float64Array(theta);
  const order = Array.from({ length: theta }, (_, s) => s);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    for (const [s, k] of selected.entries()) column[s] = (updates[k] as Float32Array)[i] as number;
    sorted.set(column);
    const median = medianInPlace(sorted);
    order.sort(
      (a, b) =>
        Math.abs((column[a] as number) - median) - Math.abs((column[b] as number) - median) ||
        a - b,
    );
    let sum = 0;
    for (let j = 0; j < beta; j++) sum += column[order[j] as number] as number;
    out[i] = sum / beta;
  }
  return out;
}
