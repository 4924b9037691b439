/**
 * Pathological non-IID: k classes per client.
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
  splitEvenly,
} from "./labels.js";

/** Options of {@link pathologicalPartition}. */
export interface PathologicalPartitionOptions {
  /** The number k of distinct classes each client holds, 1..numClasses. */
  readonly classesPerClient: number;
  /** The number of classes; inferred as the largest label + 1 when omitted. */
  readonly numClasses?: number;
}

/**
 * Each client holds k distinct classes, and the samples of each class are split evenly (sizes
 * differing by at most one, in a random order) among the clients that hold it.
 *
 * Classes are dealt so that every class has a holder: the first `numClasses` class slots, taken
 * client by client, follow a random permutation of the classes; each later slot is a class
 * drawn uniformly among those the client does not hold yet. (NIID-Bench's `#C=k` gives client i
 * class `i mod K` first instead, which leaves classes unheld, and their samples unused, when
 * there are fewer clients than classes.) Every sample is therefore assigned exactly once.
 * @param labels - One class label per sample.
 * @param numClients - The number of clients N.
 * @param rng - The generator; the partition is a pure function of its state.
 * @param options - `classesPerClient` (k) and `numClasses`.
 * @returns One ascending Int32Array of sample indices per client.
 * @throws OptionsError when k is not an integer in [1, numClasses]; DataError when N * k is
 *   smaller than the number of classes (some class could have no holder).
 * @example pathologicalPartition(labels, 100, rng, { classesPerClient: 2 })
 */
export function pathologicalPartition(
  labels: LabelArray,
  numClients: number,
  rng: Rng,
  options: PathologicalPartitionOptions,
): Int32Array[] {
  const numClasses = checkLabels(labels, options?.numClasses);
  checkNumClients(numClients, labels.length);
  const k = options.classesPerClient;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k > numClasses)
    throw new OptionsError(
      "classesPerClient",
      k,
      `an integer in [1, ${numClasses}] (the number of classes)`,
    );
  if (numClients * k < numClasses)
    throw new DataError(
      `Pathological partition with ${k} classes per client: ${numClients} clients hold at most ${numClients * k} classes, fewer than the ${numClasses} classes, so some samples would belong to no client. Use more clients or a larger k.`,
    );
  const classOrder = rng.permutation(numClasses);
  const holders: number[][] = Array.from({ length: numClasses }, () => []);
  for (let cid = 0; cid < numClients; cid++) {
    const held = new Set<number>();
    for (let j = 0; j < k; j++) {
      const slot = cid * k + j;
      let c: number;
      if (slot < numClasses) c = classOrder[slot] as number;
      else {
        const free: number[] = [];
        for (let cc = 0; cc < numClasses; cc++) if (!held.has(cc)) free.push(cc);
        c = rng.choice(free);
      }
      held.add(c);
      (holders[c] as number[]).push(cid);
    }
  }
  const parts: Int32Array[][] = Array.from({ length: numClients }, () => []);
  const byClass = indicesByClass(labels, numClasses);
  for (let c = 0; c < numClasses; c++) {
    const idx = rng.shuffle<number, Int32Array>(Int32Array.from(byClass[c] as Int32Array));
    const owners = (holders[c] as number[]).sort((a, b) => a - b);
    const pieces = splitEvenly(idx, owners.length);
    owners.forEach((cid, i) => {
      (parts[cid] as Int32Array[]).push(pieces[i] as Int32Array);
    });
  }
  return parts.map(concatSorted);
}
