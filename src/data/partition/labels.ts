/**
 * Label arrays and the checks every partitioner shares.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { DataError } from "../errors.js";

/** Class labels, one per sample: non-negative integers. */
export type LabelArray = Uint8Array | Int32Array;

/**
 * Asserts that `labels` is a {@link LabelArray} of non-negative integers and returns the number
 * of classes: `numClasses` when given (every label must be below it), else the largest label + 1.
 * @param labels - The labels to check.
 * @param numClasses - The number of classes, if known.
 * @throws OptionsError when `labels` is not a Uint8Array/Int32Array or `numClasses` is not a
 *   positive integer; DataError when a label is negative or not below `numClasses`.
 */
export function checkLabels(labels: unknown, numClasses?: number): number {
  if (!(labels instanceof Uint8Array) && !(labels instanceof Int32Array))
    throw new OptionsError("labels", labels, "a Uint8Array or Int32Array of class labels");
  if (numClasses !== undefined) {
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new OptionsError("numClasses", numClasses, "a positive integer");
  }
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (y < 0) throw new DataError(`labels[${i}] is ${y}: class labels must be >= 0`);
    if (numClasses !== undefined && y >= numClasses)
      throw new DataError(`labels[${i}] is ${y}: expected a class label below ${numClasses}`);
    if (y > max) max = y;
  }
  return numClasses ?? max + 1;
}

/**
 * Asserts that `numClients` is a positive integer no larger than `numSamples`.
 * @throws OptionsError naming `numClients`.
 */
export function checkNumClients(numClients: unknown, numSamples: number): number {
  if (typeof numClients !== "number" || !Number.isInteger(numClients) || numClients < 1)
    throw new OptionsError("numClients", numClients, "a positive integer");
  if (numClients > numSamples)
    throw new OptionsError(
      "numClients",
      numClients,
      `at most the number of samples (${numSamples}), so that every client gets data`,
    );
  return numClients;
}

/** The indices of each class, ascending: `result[c]` lists the samples labelled `c`. */
export function indicesByClass(labels: LabelArray, numClasses: number): Int32Array[] {
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    counts[c] = (counts[c] as number) + 1;
  }
  const out = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    const at = fill[c] as number;
    (out[c] as Int32Array)[at] = i;
    fill[c] = at + 1;
  }
  return out;
}

/**
 * Splits `items` into `parts` contiguous pieces whose sizes differ by at most one, the larger
 * pieces first (numpy's `array_split`). The pieces are views, not copies.
 */
export function splitEvenly(items: Int32Array, parts: number): Int32Array[] {
  const q = Math.floor(items.length / parts);
  const r = items.length % parts;
  const out: Int32Array[] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = q + (p < r ? 1 : 0);
    out.push(items.subarray(start, start + size));
    start += size;
  }
  return out;
}

/**
 * Splits `items` at the cut points `floor(cumsum(proportions) * n)` (numpy's
 * `np.split(items, (np.cumsum(p) * n).astype(int)[:-1])`). The last piece ends at `n` whatever
 * rounding does, so every item lands in exactly one piece. The pieces are views.
 */
export function splitByProportions(
  items: Int32Array,
  proportions: ArrayLike<number>,
): Int32Array[] {
  const n = items.length;
  const out: Int32Array[] = [];
  let cumulative = 0;
  let start = 0;
  for (let j = 0; j < proportions.length; j++) {
    cumulative += proportions[j] as number;
    const end =
      j === proportions.length - 1 ? n : Math.min(n, Math.max(start, Math.floor(cumulative * n)));
    out.push(items.subarray(start, end));
    start = end;
  }
  return out;
}

/** Concatenates index lists into one ascending Int32Array. */
export function concatSorted(parts: readonly Int32Array[]): Int32Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Int32Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out.sort();
}
