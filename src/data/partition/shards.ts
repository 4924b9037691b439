/**
 * Shards (McMahan et al., "Communication-Efficient Learning of Deep Networks from Decentralized
 * Data", 2017).
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { Rng } from "../../reproducibility/rng.js";
import {
  checkLabels,
  checkNumClients,
  concatSorted,
  indicesByClass,
  type LabelArray,
  splitEvenly,
} from "./labels.js";
import { checkInteger } from "./options.js";

/** Options of {@link shardsPartition}. */
export interface ShardsPartitionOptions {
  /**
   * Shards per client, K; there are K * N shards in all.
   * @default 2
   */
  readonly shardsPerClient?: number;
}

/**
 * McMahan's shards: sort the samples by label (ties by index), cut them into K * N contiguous
 * shards whose sizes differ by at most one (exactly equal when K * N divides the sample count,
 * as 200 shards of 300 do for 60,000), and give each client K shards chosen by a random
 * permutation of the shards. With K = 2 most clients see at most 2 classes.
 * @param labels - One class label per sample.
 * @param numClients - The number of clients N.
 * @param rng - The generator; the partition is a pure function of its state.
 * @param options - `shardsPerClient` (K, default 2).
 * @returns One ascending Int32Array of sample indices per client.
 * @throws OptionsError when K is not a positive integer or K * N exceeds the sample count.
 * @example shardsPartition(labels, 100, rng) // 200 shards of 300 on MNIST
 */
export function shardsPartition(
  labels: LabelArray,
  numClients: number,
  rng: Rng,
  options: ShardsPartitionOptions = {},
): Int32Array[] {
  const numClasses = checkLabels(labels);
  checkNumClients(numClients, labels.length);
  const perClient = checkInteger("shardsPerClient", options.shardsPerClient, 1, 2);
  const numShards = perClient * numClients;
  if (numShards > labels.length)
    throw new OptionsError(
      "shardsPerClient",
      perClient,
      `at most ${Math.floor(labels.length / numClients)}: ${numClients} clients x ${perClient} shards exceed the ${labels.length} samples`,
    );
  const byLabel = new Int32Array(labels.length);
  let offset = 0;
  for (const classIndices of indicesByClass(labels, numClasses)) {
    byLabel.set(classIndices, offset);
    offset += classIndices.length;
  }
  const shards = splitEvenly(byLabel, numShards);
  const order = rng.permutation(numShards);
  const out: Int32Array[] = [];
  for (let cid = 0; cid < numClients; cid++) {
    const mine: Int32Array[] = [];
    for (let s = 0; s < perClient; s++)
      mine.push(shards[order[cid * perClient + s] as number] as Int32Array);
    out.push(concatSorted(mine));
  }
  return out;
}
