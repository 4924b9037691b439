/**
 * Dirichlet label skew, as in NIID-Bench (Li, Diao, Chen, He, ICDE 2022).
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { Rng } from "../../reproducibility/rng.js";
import { DataError } from "../errors.js";
import {
  checkLabels,
  checkNumClients,
  concatSorted,
  indicesByClass,
  type LabelArray,
  splitByProportions,
} from "./labels.js";
import { checkInteger, checkPositiveNumber } from "./options.js";

/** Options of {@link dirichletPartition}. */
export interface DirichletPartitionOptions {
  /** The Dirichlet concentration; smaller means more skew. Common values: 0.1, 0.3, 0.5, 1. */
  readonly alpha: number;
  /**
   * The smallest client size to accept; draws are repeated until every client has at least this
   * many samples (NIID-Bench uses 10).
   * @default 10
   */
  readonly minSize?: number;
  /**
   * The most draws to try before giving up with a {@link DataError}.
   * @default 1000
   */
  readonly maxRetries?: number;
  /** The number of classes; inferred as the largest label + 1 when omitted. */
  readonly numClasses?: number;
}

/**
 * Dirichlet(alpha) label skew, NIID-Bench's algorithm: for each class c in turn, shuffle its
 * samples, draw p_c ~ Dir_N(alpha), zero the share of every client that already holds at least
 * n / N samples (NIID-Bench's balancing step), renormalise, and cut the class at
 * `floor(cumsum(p_c) * n_c)`. The whole draw is repeated until every client has at least
 * `minSize` samples, at most `maxRetries` times.
 * @param labels - One class label per sample.
 * @param numClients - The number of clients N.
 * @param rng - The generator; the partition is a pure function of its state.
 * @param options - `alpha`, `minSize`, `maxRetries`, `numClasses`.
 * @returns One ascending Int32Array of sample indices per client.
 * @throws OptionsError on bad parameters (alpha <= 0 or NaN, minSize * N > samples, ...);
 *   DataError when no draw within `maxRetries` meets `minSize`.
 * @example dirichletPartition(labels, 100, rng, { alpha: 0.5 })
 */
export function dirichletPartition(
  labels: LabelArray,
  numClients: number,
  rng: Rng,
  options: DirichletPartitionOptions,
): Int32Array[] {
  const numClasses = checkLabels(labels, options?.numClasses);
  const n = labels.length;
  checkNumClients(numClients, n);
  const alpha = checkPositiveNumber("alpha", options.alpha);
  const minSize = checkInteger("minSize", options.minSize, 0, 10);
  const maxRetries = checkInteger("maxRetries", options.maxRetries, 1, 1000);
  if (minSize * numClients > n)
    throw new OptionsError(
      "minSize",
      minSize,
      `at most ${Math.floor(n / numClients)}: ${numClients} clients of ${minSize} samples need ${minSize * numClients}, but there are only ${n}`,
    );
  const byClass = indicesByClass(labels, numClasses);
  const cap = n / numClients;
  let smallest = 0;
  for (let attempt = 0; attempt < maxRetries; attempt++) {
    const parts: Int32Array[][] = Array.from({ length: numClients }, () => []);
    const sizes = new Float64Array(numClients);
    for (const classIndices of byClass) {
      const idx = rng.shuffle<number, Int32Array>(Int32Array.from(classIndices));
      const p = rng.dirichlet(alpha, numClients);
      let sum = 0;
      for (let j = 0; j < numClients; j++) {
        if ((sizes[j] as number) >= cap) p[j] = 0;
        sum += p[j] as number;
      }
      // Every client full can only happen with rounding at the very end: fall back to the raw draw.
      if (sum > 0) for (let j = 0; j < numClients; j++) p[j] = (p[j] as number) / sum;
      else p.set(rng.dirichlet(alpha, numClients));
      const pieces = splitByProportions(idx, p);
      for (let j = 0; j < numClients; j++) {
        const piece = pieces[j] as Int32Array;
        (parts[j] as Int32Array[]).push(piece);
        sizes[j] = (sizes[j] as number) + piece.length;
      }
    }
    smallest = n;
    for (const size of sizes) if (size < smallest) smallest = size;
    if (smallest >= minSize) return parts.map(concatSorted);
  }
  throw new DataError(
    `Dirichlet(alpha=${alpha}) partition of ${n} samples over ${numClients} clients: no draw in ${maxRetries} gave every client at least ${minSize} samples (the last draw's smallest client had ${smallest}). Raise alpha, use fewer clients, or lower minSize.`,
  );
}
