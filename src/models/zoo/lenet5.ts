/**
 * `lenet5`: the CIFAR-10 CNN of PyTorch's "Training a classifier" tutorial, which BlazeFL's own
 * benchmark trains: conv 6@5x5, relu, maxpool 2, conv 16@5x5, relu, maxpool 2, fc 120, relu,
 * fc 84, relu, fc to the classes. On 32x32x3 with 10 classes it has 62,006 parameters.
 *
 * @module
 */

import type { LayersModel } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { tf } from "../../engine/tfjs.js";
import { torchDefault } from "./torch-init.js";

/**
 * The tutorial CNN for `[height, width, channels]` inputs (each side at least 16, so that two
 * 'valid' 5x5 convolutions and two poolings leave something), PyTorch's default initialisation.
 * Layers `conv1`, `pool1`, `conv2`, `pool2`, `flatten`, `fc1`, `fc2`, `fc3`; the flatten order is
 * (h, w, c), not PyTorch's (c, h, w), which changes no count and no result up to a permutation.
 */
export function buildLenet5(inputShape: readonly number[], numClasses: number): LayersModel {
  if (!Array.isArray(inputShape) || inputShape.length !== 3)
    throw new OptionsError("inputShape", inputShape, "[height, width, channels] for lenet5");
  for (const [i, d] of inputShape.entries()) assertPositiveInteger(`inputShape[${i}]`, d);
  assertPositiveInteger("numClasses", numClasses);
  const [h, w, c] = inputShape as [number, number, number];
  if (h < 16 || w < 16)
    throw new OptionsError(
      "inputShape",
      inputShape,
      "a height and width of at least 16 for lenet5",
    );
  const flat =
    Math.floor((Math.floor((h - 4) / 2) - 4) / 2) *
    Math.floor((Math.floor((w - 4) / 2) - 4) / 2) *
    16;
  return tf.sequential({
    name: "lenet5",
    layers: [
      tf.layers.conv2d({
        name: "conv1",
        inputShape: [h, w, c],
        filters: 6,
        kernelSize: 5,
        activation: "relu",
        ...torchDefault(25 * c),
      }),
      tf.layers.maxPooling2d({ name: "pool1", poolSize: 2, strides: 2 }),
      tf.layers.conv2d({
        name: "conv2",
        filters: 16,
        kernelSize: 5,
        activation: "relu",
        ...torchDefault(25 * 6),
      }),
      tf.layers.maxPooling2d({ name: "pool2", poolSize: 2, strides: 2 }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dense({ name: "fc1", units: 120, activation: "relu", ...torchDefault(flat) }),
      tf.layers.dense({ name: "fc2", units: 84, activation: "relu", ...torchDefault(120) }),
      tf.layers.dense({ name: "fc3", units: numClasses, ...torchDefault(84) }),
    ],
  });
}
