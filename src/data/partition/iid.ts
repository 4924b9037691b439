/**
 * IID partition: a uniformly random split into near-equal parts.
 *
 * @module
 */
import type { Rng } from "../../reproducibility/rng.js";
import { checkLabels, checkNumClients, type LabelArray, splitEvenly } from "./labels.js";

/**
 * Splits the samples uniformly at random among `numClients` clients whose sizes differ by at
 * most one (a random permutation cut by numpy's `array_split`).
 * @param labels - One label per sample (only its length matters here).
 * @param numClients - The number of clients, 1..labels.length.
 * @param rng - The generator; the partition is a pure function of its state.
 * @returns One ascending Int32Array of sample indices per client.
 * @throws OptionsError on bad labels or client counts.
 * @example iidPartition(labels, 100, createRngSuite(42).partition)
 */
export function iidPartition(labels: LabelArray, numClients: number, rng: Rng): Int32Array[] {
  checkLabels(labels);
  checkNumClients(numClients, labels.length);
  return splitEvenly(rng.permutation(labels.length), numClients).map((part) =>
    Int32Array.from(part).sort(),
  );
}
