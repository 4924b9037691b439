/**
 * {@link partitionLike}: splits a second set (a test set) so that each client's share follows
 * its label distribution in a first partition.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { Rng } from "../../reproducibility/rng.js";
import { labelStatistics } from "./label-statistics.js";
import {
  checkLabels,
  concatSorted,
  indicesByClass,
  type LabelArray,
  splitByProportions,
  splitEvenly,
} from "./labels.js";

/**
 * Partitions `labels` (say, a test set) among the clients of `reference` (a partition of
 * `referenceLabels`, say the training set) so that each client's share of every class is
 * proportional to its share of that class in the reference: client j gets about
 * `count_j(c) / total(c)` of the class-c samples, cut at `floor(cumsum * n_c)` after a shuffle.
 * A client's test labels then follow its training labels, whatever scheme made the reference.
 * The samples of a class no client holds in the reference are spread evenly over all clients,
 * so every sample is assigned exactly once.
 * @param labels - The labels to partition.
 * @param referenceLabels - The labels the reference partition indexes.
 * @param reference - One index list into `referenceLabels` per client.
 * @param rng - The generator; the result is a pure function of its state.
 * @param numClasses - The number of classes; inferred when omitted.
 * @returns One ascending Int32Array of indices into `labels` per client.
 */
export function partitionLike(
  labels: LabelArray,
  referenceLabels: LabelArray,
  reference: readonly ArrayLike<number>[],
  rng: Rng,
  numClasses?: number,
): Int32Array[] {
  const classes = Math.max(
    checkLabels(labels, numClasses),
    checkLabels(referenceLabels, numClasses),
  );
  if (!Array.isArray(reference) || reference.length === 0)
    throw new OptionsError("reference", reference, "a non-empty array of index lists");
  const numClients = reference.length;
  const stats = labelStatistics(referenceLabels, reference, classes);
  const parts: Int32Array[][] = Array.from({ length: numClients }, () => []);
  const byClass = indicesByClass(labels, classes);
  for (let c = 0; c < classes; c++) {
    const idx = rng.shuffle<number, Int32Array>(Int32Array.from(byClass[c] as Int32Array));
    let total = 0;
    for (const row of stats.counts) total += row[c] as number;
    const pieces =
      total === 0
        ? splitEvenly(idx, numClients)
        : splitByProportions(
            idx,
            stats.counts.map((row) => (row[c] as number) / total),
          );
    for (let j = 0; j < numClients; j++) (parts[j] as Int32Array[]).push(pieces[j] as Int32Array);
  }
  return parts.map(concatSorted);
}
