/**
 * Quantity skew: unequal client sizes, IID labels within each client.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { Rng } from "../../reproducibility/rng.js";
import { DataError } from "../errors.js";
import { checkLabels, checkNumClients, type LabelArray, splitByProportions } from "./labels.js";
import { checkInteger, checkNonNegativeNumber, checkPositiveNumber } from "./options.js";

/** Client sizes from Dir_N(alpha) proportions (NIID-Bench's quantity skew). */
export interface DirichletQuantitySkewOptions {
  /** Selects the Dirichlet method. */
  readonly method: "dirichlet";
  /** The Dirichlet concentration; smaller means more unequal sizes. */
  readonly alpha: number;
  /**
   * The smallest client size to accept; proportions are redrawn until it is met.
   * @default 10
   */
  readonly minSize?: number;
  /**
   * The most draws to try before giving up with a {@link DataError}.
   * @default 1000
   */
  readonly maxRetries?: number;
}

/** Client sizes from a power law (Zipf): the r-th largest client is proportional to r^-exponent. */
export interface PowerLawQuantitySkewOptions {
  /** Selects the power-law method. */
  readonly method: "power-law";
  /** The exponent, >= 0; 0 gives equal sizes, larger gives a heavier head. */
  readonly exponent: number;
  /**
   * Every client first gets this many samples; the rest are shared by the power law.
   * @default 10
   */
  readonly minSize?: number;
}

/** Options of {@link quantitySkewPartition}. */
export type QuantitySkewOptions = DirichletQuantitySkewOptions | PowerLawQuantitySkewOptions;

/**
 * Quantity skew: the samples are shuffled uniformly and cut into pieces of unequal sizes, so
 * labels are IID within each client.
 * - `dirichlet`: NIID-Bench's method; proportions p ~ Dir_N(alpha) are redrawn until every
 *   client gets at least `minSize` samples, then the permutation is cut at
 *   `floor(cumsum(p) * n)`.
 * - `power-law`: every client gets `minSize` samples, and the remaining n - N * minSize are
 *   shared in proportion to rank^-exponent, the ranks being a random permutation of 1..N.
 * @param labels - One class label per sample (only its length matters).
 * @param numClients - The number of clients N.
 * @param rng - The generator; the partition is a pure function of its state.
 * @param options - The method and its parameters.
 * @returns One ascending Int32Array of sample indices per client.
 * @throws OptionsError on bad parameters; DataError when no Dirichlet draw meets `minSize`.
 * @example quantitySkewPartition(labels, 100, rng, { method: "dirichlet", alpha: 0.5 })
 */
export function quantitySkewPartition(
  labels: LabelArray,
  numClients: number,
  rng: Rng,
  options: QuantitySkewOptions,
): Int32Array[] {
  checkLabels(labels);
  const n = labels.length;
  checkNumClients(numClients, n);
  const method = options?.method;
  if (method !== "dirichlet" && method !== "power-law")
    throw new OptionsError("method", method, '"dirichlet" or "power-law"');
  const minSize = checkInteger("minSize", options.minSize, 0, 10);
  if (minSize * numClients > n)
    throw new OptionsError(
      "minSize",
      minSize,
      `at most ${Math.floor(n / numClients)}: ${numClients} clients of ${minSize} samples need ${minSize * numClients}, but there are only ${n}`,
    );
  if (options.method === "dirichlet") {
    const alpha = checkPositiveNumber("alpha", options.alpha);
    const maxRetries = checkInteger("maxRetries", options.maxRetries, 1, 1000);
    const proportions = drawDirichletSizes(rng, n, numClients, alpha, minSize, maxRetries);
    const perm = rng.permutation(n);
    return splitByProportions(perm, proportions).map((part) => Int32Array.from(part).sort());
  }
  const exponent = checkNonNegativeNumber("exponent", options.exponent);
  const sizes = powerLawSizes(rng, n, numClients, exponent, minSize);
  const perm = rng.permutation(n);
  const out: Int32Array[] = [];
  let start = 0;
  for (const size of sizes) {
    out.push(Int32Array.from(perm.subarray(start, start + size)).sort());
    start += size;
  }
  return out;
}

function sizesOf(proportions: Float64Array, n: number): number {
  let smallest = n;
  let cumulative = 0;
  let start = 0;
  for (let j = 0; j < proportions.length; j++) {
    cumulative += proportions[j] as number;
    const end =
      j === proportions.length - 1 ? n : Math.min(n, Math.max(start, Math.floor(cumulative * n)));
    smallest = Math.min(smallest, end - start);
    start = end;
  }
  return smallest;
}

function drawDirichletSizes(
  rng: Rng,
  n: number,
  numClients: number,
  alpha: number,
  minSize: number,
  maxRetries: number,
): Float64Array {
  let smallest = 0;
  for (let attempt = 0; attempt < maxRetries; attempt++) {
    const p = rng.dirichlet(alpha, numClients);
    smallest = sizesOf(p, n);
    if (smallest >= minSize) return p;
  }
  throw new DataError(
    `Quantity-skew Dirichlet(alpha=${alpha}) over ${numClients} clients and ${n} samples: no draw in ${maxRetries} gave every client at least ${minSize} samples (the last draw's smallest client had ${smallest}). Raise alpha, use fewer clients, or lower minSize.`,
  );
}

/** Integer sizes: `minSize` each plus a power-law share of the rest, summing to n. */
function powerLawSizes(
  rng: Rng,
  n: number,
  numClients: number,
  exponent: number,
  minSize: number,
): Int32Array {
  const ranks = rng.permutation(numClients);
  const weights = new Float64Array(numClients);
  let total = 0;
  for (let j = 0; j < numClients; j++) {
    const w = ((ranks[j] as number) + 1) ** -exponent;
    weights[j] = w;
    total += w;
  }
  const rest = n - minSize * numClients;
  // Integer sizes by largest remainder, so cut points land exactly and sizes add up to n.
  const sizes = new Int32Array(numClients);
  const remainders: Array<[number, number]> = [];
  let assigned = 0;
  for (let j = 0; j < numClients; j++) {
    const share = (rest * (weights[j] as number)) / total;
    const whole = Math.floor(share);
    sizes[j] = minSize + whole;
    assigned += whole;
    remainders.push([share - whole, j]);
  }
  remainders.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let i = 0; i < rest - assigned; i++) {
    const j = (remainders[i] as [number, number])[1];
    sizes[j] = (sizes[j] as number) + 1;
  }
  return sizes;
}
