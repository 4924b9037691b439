/**
 * Per-client label statistics, as plain JSON-safe data for reports and the CLI.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { LabelArray } from "./labels.js";

/** How the labels are spread over the clients. */
export interface LabelStatistics {
  /** The number of classes; every `counts` row has this length. */
  readonly numClasses: number;
  /** `counts[cid][c]` is the number of samples of class c that client cid holds. */
  readonly counts: readonly (readonly number[])[];
  /** `sizes[cid]` is the number of samples client cid holds. */
  readonly sizes: readonly number[];
}

/**
 * The number of samples of each class among `indices`.
 * @param labels - One class label per sample, each below `numClasses`.
 * @param indices - The samples to count.
 * @param numClasses - The number of classes.
 * @returns An array of `numClasses` counts.
 */
export function labelCounts(
  labels: LabelArray,
  indices: ArrayLike<number>,
  numClasses: number,
): number[] {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new OptionsError("numClasses", numClasses, "a positive integer");
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < indices.length; i++) {
    const y = labels[indices[i] as number];
    if (y === undefined || y < 0 || y >= numClasses)
      throw new OptionsError(`indices[${i}]`, indices[i], "the index of a labelled sample");
    counts[y] = (counts[y] as number) + 1;
  }
  return counts;
}

/**
 * The label statistics of a partition.
 * @param labels - One class label per sample.
 * @param partition - One index list per client, as the partitioners return.
 * @param numClasses - The number of classes.
 */
export function labelStatistics(
  labels: LabelArray,
  partition: readonly ArrayLike<number>[],
  numClasses: number,
): LabelStatistics {
  const counts = partition.map((indices) => labelCounts(labels, indices, numClasses));
  return { numClasses, counts, sizes: partition.map((indices) => indices.length) };
}

/** The Shannon entropy, in bits, of a label distribution given as counts (0 for no samples). */
export function labelEntropy(counts: readonly number[]): number {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return 0;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * Math.log2(c / total);
  return h;
}

/**
 * The mean over clients with data of their label entropy, in bits: log2(numClasses) when every
 * client holds all classes equally, 0 when every client holds one class. A measure of label skew.
 */
export function meanLabelEntropy(stats: LabelStatistics): number {
  let sum = 0;
  let clients = 0;
  for (const row of stats.counts) {
    let size = 0;
    for (const c of row) size += c;
    if (size === 0) continue;
    sum += labelEntropy(row);
    clients++;
  }
  return clients === 0 ? 0 : sum / clients;
}
