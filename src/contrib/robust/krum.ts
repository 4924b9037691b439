/**
 * Krum and MultiKrum (Blanchard et al., "Machine Learning with Adversaries: Byzantine Tolerant
 * Gradient Descent", 2017): each update is scored by the sum of squared L2 distances to its
 * n - f - 2 nearest other updates, and the lowest scores (the most central updates) win.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertUpdateSet, assertWeights, weightedMeanOf } from "./update-set.js";

/** The symmetric matrix of squared L2 distances, row-major n x n, in float64. */
export function squaredDistances(updates: readonly Float32Array[]): Float64Array {
  const length = assertUpdateSet(updates);
  const n = updates.length;
  const d2 = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    const ua = updates[a] as Float32Array;
    for (let b = a + 1; b < n; b++) {
      const ub = updates[b] as Float32Array;
      let sum = 0;
      for (let i = 0; i < length; i++) {
        const diff = (ua[i] as number) - (ub[i] as number);
        sum += diff * diff;
      }
      d2[a * n + b] = sum;
      d2[b * n + a] = sum;
    }
  }
  return d2;
}

function assertByzantineCount(f: number): void {
  if (!Number.isInteger(f) || f < 0)
    throw new OptionsError("f", f, "a non-negative integer (the number of malicious clients)");
}

/**
 * Krum's scores over the updates whose indices are in `among` (all of them by default): for
 * each, the sum of squared distances to its min(|among| - 1, max(1, |among| - f - 2)) nearest
 * others (Flower keeps at least one neighbour when n <= f + 2).
 * @param distances - From {@link squaredDistances} over all n updates.
 */
export function krumScores(
  distances: Float64Array,
  n: number,
  f: number,
  among: readonly number[] = Array.from({ length: n }, (_, k) => k),
): Float64Array {
  assertByzantineCount(f);
  const neighbours = Math.min(among.length - 1, Math.max(1, among.length - f - 2));
  const scores = new Float64Array(among.length);
  const row = new Float64Array(Math.max(0, among.length - 1));
  for (const [s, a] of among.entries()) {
    let r = 0;
    for (const b of among) if (b !== a) row[r++] = distances[a * n + b] as number;
    row.sort();
    let score = 0;
    for (let j = 0; j < neighbours; j++) score += row[j] as number;
    scores[s] = score;
  }
  return scores;
}

/**
 * The indices of the `m` updates with the lowest Krum scores, lowest first; equal scores go to
 * the lower index, so ties are decided by client order, never by chance.
 */
export function multiKrumSelect(updates: readonly Float32Array[], f: number, m: number): number[] {
  assertUpdateSet(updates);
  const n = updates.length;
  if (!Number.isInteger(m) || m < 1 || m > n)
    throw new OptionsError("m", m, `an integer in [1, ${n}] (the number of updates to keep)`);
  const scores = krumScores(squaredDistances(updates), n, f);
  return Array.from({ length: n }, (_, k) => k)
    .sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b)
    .slice(0, m);
}

/**
 * Krum: the single update with the lowest score, copied.
 * Memory: it needs every update at once, O(n * d), plus the O(n^2) distance matrix; time
 * O(n^2 * d).
 * @param updates - n >= 1 equally long client models or updates.
 * @param f - The number of malicious clients to tolerate.
 */
export function krum(updates: readonly Float32Array[], f: number): Float32Array {
  const [best] = multiKrumSelect(updates, f, 1);
  return (updates[best as number] as Float32Array).slice();
}

/**
 * MultiKrum: the mean of the `m` lowest-scoring updates, weighted by their example counts.
 * Memory: it needs every update at once, O(n * d), plus the O(n^2) distance matrix; time
 * O(n^2 * d).
 * @param weights - One weight > 0 per update (the clients' example counts).
 * @param f - The number of malicious clients to tolerate.
 * @param m - How many updates to average, in [1, n].
 */
export function multiKrum(
  updates: readonly Float32Array[],
  weights: readonly number[],
  f: number,
  m: number,
): Float32Array {
  assertUpdateSet(updates);
  assertWeights(weights, updates.length);
  return weightedMeanOf(updates, weights, multiKrumSelect(updates, f, m));
}
