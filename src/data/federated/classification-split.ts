/**
 * The splits of a federated classification dataset.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/** The splits every federated classification dataset serves. */
export const CLASSIFICATION_SPLITS = ["train", "test"] as const;

/** A split name: `"train"` or `"test"`. */
export type ClassificationSplit = (typeof CLASSIFICATION_SPLITS)[number];

/** Asserts that `type` is `"train"` or `"test"`. */
export function assertClassificationSplit(type: unknown): asserts type is ClassificationSplit {
  if (type !== "train" && type !== "test")
    throw new OptionsError("type", type, '"train" or "test"');
}
