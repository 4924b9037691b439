/**
 * Multinomial logistic regression: one dense layer from the features to the class logits
 * (LEAF Synthetic(1,1): 60 -> 10, 610 parameters).
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { assertPositiveInteger } from "../core/validate.js";
import type { Rng } from "../reproducibility/rng.js";
import { dense } from "./layers/dense.js";
import { flatten } from "./layers/flatten.js";
import type { Layer } from "./layers/layer.js";
import { SequentialClassifier } from "./sequential-classifier.js";

/** Options of {@link createLogisticRegression}. */
export interface LogisticRegressionOptions {
  /** The generator the initial weights are drawn from. */
  readonly rng: Rng;
  /** The shape of one sample; it is flattened. @default [60] */
  readonly inputShape?: readonly number[];
  /** The number of classes. @default 10 */
  readonly numClasses?: number;
}

/** Logistic regression: layer `fc`; flat order `fc.weight [classes, in]`, `fc.bias [classes]`. */
export function createLogisticRegression(options: LogisticRegressionOptions): SequentialClassifier {
  const inputShape = options.inputShape ?? [60];
  const numClasses = options.numClasses ?? 10;
  if (!Array.isArray(inputShape) || inputShape.length === 0)
    throw new OptionsError("inputShape", inputShape, "a non-empty array of positive integers");
  for (const [i, d] of inputShape.entries()) assertPositiveInteger(`inputShape[${i}]`, d);
  assertPositiveInteger("numClasses", numClasses);
  const inputUnits = inputShape.reduce((a, b) => a * b, 1);
  const layers: Layer[] = [];
  if (inputShape.length > 1) layers.push(flatten("flatten", inputShape));
  layers.push(dense({ name: "fc", inputUnits, units: numClasses }));
  return new SequentialClassifier({ name: "logreg", inputShape, numClasses, layers }, options.rng);
}
