/**
 * 2-D max pooling, NHWC, 'valid' padding, window = stride.
 *
 * @module
 */

import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { tf } from "../../engine/tfjs.js";
import type { Layer } from "./layer.js";

/** Options of {@link maxPool2d}. */
export interface MaxPool2dOptions {
  /** The layer name, e.g. `"pool1"`. */
  readonly name: string;
  /** The input sample shape `[height, width, channels]`. */
  readonly inputShape: readonly [number, number, number];
  /** The window size and stride. @default 2 */
  readonly poolSize?: number;
}

/** Max pooling with a `poolSize` x `poolSize` window and the same stride; no parameters. */
export function maxPool2d(options: MaxPool2dOptions): Layer {
  const { name, inputShape } = options;
  const poolSize = options.poolSize ?? 2;
  assertPositiveInteger("poolSize", poolSize);
  const [h, w, c] = inputShape;
  const oh = Math.floor(h / poolSize);
  const ow = Math.floor(w / poolSize);
  if (oh < 1 || ow < 1)
    throw new OptionsError("inputShape", inputShape, `at least ${poolSize}x${poolSize} to pool`);
  return {
    name,
    outputShape: [oh, ow, c],
    parameters: [],
    forward(x) {
      return tf.maxPool(x as Tensor4D, poolSize, poolSize, "valid");
    },
    backward(dy, x, y, _params, needDx) {
      const dx = needDx
        ? tf
            .engine()
            .runKernel<Tensor>(
              tf.MaxPoolGrad,
              { dy, input: x, output: y },
              { filterSize: poolSize, strides: poolSize, pad: "valid" },
            )
        : undefined;
      return { dx, grads: [] };
    },
  };
}
