/**
 * The label-flip attack (data poisoning): a malicious client trains on y -> numClasses - 1 - y
 * (9 - y for the ten classes of Fashion-MNIST), so its honest-looking update teaches the wrong
 * classes. It runs on the client, before training; the update is then sent as is.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { LabelArray } from "../../data/partition/labels.js";

/**
 * numClasses - 1 - y for every label, as a new array of the same type.
 * @param numClasses - The number of classes (>= 1). @default 10
 */
export function flipLabels<T extends LabelArray>(labels: T, numClasses = 10): T {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new OptionsError("numClasses", numClasses, "a positive integer");
  const out = labels.slice() as T;
  for (let i = 0; i < out.length; i++) {
    const y = out[i] as number;
    if (y < 0 || y >= numClasses)
      throw new OptionsError(`labels[${i}]`, y, `a class label in [0, ${numClasses - 1}]`);
    out[i] = numClasses - 1 - y;
  }
  return out;
}
