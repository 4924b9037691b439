/**
 * The MLP of McMahan et al. (2017), "2NN": 784-200-200-10 with relu (199,210 parameters).
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

/** Options of {@link createMlp}. */
export interface MlpOptions {
  /** The generator the initial weights are drawn from. */
  readonly rng: Rng;
  /** The shape of one sample; it is flattened. @default [784] */
  readonly inputShape?: readonly number[];
  /** The hidden layer widths. @default [200, 200] */
  readonly hiddenUnits?: readonly number[];
  /** The number of classes. @default 10 */
  readonly numClasses?: number;
}

/**
 * An MLP: flatten, then dense + relu per hidden width, then a dense layer to the logits.
 * Layers `fc1`, `fc2`, ... ; flat order `fc1.weight [200, in]`, `fc1.bias`, `fc2.weight`, ...
 */
export function createMlp(options: MlpOptions): SequentialClassifier {
  const inputShape = options.inputShape ?? [784];
  const hidden = options.hiddenUnits ?? [200, 200];
  const numClasses = options.numClasses ?? 10;
  if (!Array.isArray(inputShape) || inputShape.length === 0)
    throw new OptionsError("inputShape", inputShape, "a non-empty array of positive integers");
  for (const [i, d] of inputShape.entries()) assertPositiveInteger(`inputShape[${i}]`, d);
  if (!Array.isArray(hidden)) throw new OptionsError("hiddenUnits", hidden, "an array of widths");
  for (const [i, d] of hidden.entries()) assertPositiveInteger(`hiddenUnits[${i}]`, d);
  assertPositiveInteger("numClasses", numClasses);
  const layers: Layer[] = [];
  const inputUnits = inputShape.reduce((a, b) => a * b, 1);
  if (inputShape.length > 1) layers.push(flatten("flatten", inputShape));
  let units = inputUnits;
  for (const [i, width] of hidden.entries()) {
    layers.push(dense({ name: `fc${i + 1}`, inputUnits: units, units: width, activation: "relu" }));
    units = width;
  }
  layers.push(dense({ name: `fc${hidden.length + 1}`, inputUnits: units, units: numClasses }));
  return new SequentialClassifier({ name: "mlp", inputShape, numClasses, layers }, options.rng);
}
