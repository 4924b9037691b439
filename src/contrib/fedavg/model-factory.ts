/**
 * The models FedAvg trains, built from a name, the data's shape and a seed.
 * @module
 */
import { ZooModelSelector } from "../../models/model-zoo.js";
import type { SequentialClassifier } from "../../models/sequential-classifier.js";
import type { FedAvgModelName } from "./client-config.js";

/**
 * A fresh zoo model whose initial weights are a pure function of `seed` (see
 * {@link ZooModelSelector}), so every worker builds the same one.
 */
export function createFedAvgModel(
  name: FedAvgModelName,
  sampleShape: readonly number[],
  numClasses: number,
  seed: number,
): SequentialClassifier {
  return new ZooModelSelector({ seed, inputShape: sampleShape, numClasses }).selectModel(name);
}
