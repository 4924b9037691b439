/**
 * The CNN of McMahan et al. (2017) for FedAvg: conv5x5x32 'same', relu, maxpool 2, conv5x5x64
 * 'same', relu, maxpool 2, fc 512, relu, fc to the classes. On 28x28x1 it has 1,663,370
 * parameters; on 32x32x3 (CIFAR-10), 2,156,490.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { assertPositiveInteger } from "../core/validate.js";
import type { Rng } from "../reproducibility/rng.js";
import { conv2d } from "./layers/conv2d.js";
import { dense } from "./layers/dense.js";
import { flatten } from "./layers/flatten.js";
import { maxPool2d } from "./layers/max-pool2d.js";
import { SequentialClassifier } from "./sequential-classifier.js";

/** Options of {@link createCnn}. */
export interface CnnOptions {
  /** The generator the initial weights are drawn from. */
  readonly rng: Rng;
  /** One sample's shape, `[height, width, channels]` (channels last). @default [28, 28, 1] */
  readonly inputShape?: readonly number[];
  /** The number of classes. @default 10 */
  readonly numClasses?: number;
}

/**
 * The McMahan CNN. Layers `conv1`, `pool1`, `conv2`, `pool2`, `flatten`, `fc1`, `fc2`; flat
 * order `conv1.weight [5, 5, C, 32]`, `conv1.bias`, `conv2.weight [5, 5, 32, 64]`, `conv2.bias`,
 * `fc1.weight [512, H/4 * W/4 * 64]` (columns in h, w, c order), `fc1.bias`, `fc2.weight [K, 512]`,
 * `fc2.bias`.
 */
export function createCnn(options: CnnOptions): SequentialClassifier {
  const inputShape = options.inputShape ?? [28, 28, 1];
  const numClasses = options.numClasses ?? 10;
  if (!Array.isArray(inputShape) || inputShape.length !== 3)
    throw new OptionsError("inputShape", inputShape, "[height, width, channels]");
  for (const [i, d] of inputShape.entries()) assertPositiveInteger(`inputShape[${i}]`, d);
  assertPositiveInteger("numClasses", numClasses);
  const [h, w, c] = inputShape as [number, number, number];
  if (h < 4 || w < 4)
    throw new OptionsError("inputShape", inputShape, "a height and width of at least 4");
  const conv1 = conv2d({
    name: "conv1",
    inputShape: [h, w, c],
    filters: 32,
    kernelSize: 5,
    activation: "relu",
  });
  const pool1 = maxPool2d({
    name: "pool1",
    inputShape: conv1.outputShape as [number, number, number],
  });
  const conv2 = conv2d({
    name: "conv2",
    inputShape: pool1.outputShape as [number, number, number],
    filters: 64,
    kernelSize: 5,
    activation: "relu",
  });
  const pool2 = maxPool2d({
    name: "pool2",
    inputShape: conv2.outputShape as [number, number, number],
  });
  const flat = flatten("flatten", pool2.outputShape);
  const fc1 = dense({
    name: "fc1",
    inputUnits: flat.outputShape[0] as number,
    units: 512,
    activation: "relu",
  });
  const fc2 = dense({ name: "fc2", inputUnits: 512, units: numClasses });
  return new SequentialClassifier(
    { name: "cnn", inputShape, numClasses, layers: [conv1, pool1, conv2, pool2, flat, fc1, fc2] },
    options.rng,
  );
}
