/**
 * A 2-D convolution, NHWC, stride 1, 'same' padding, `y = act(conv(x, W) + b)`, with `W` of
 * shape `[kh, kw, in, out]` (the McMahan CNN's convolutions).
 *
 * @module
 */

import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { tf } from "../../engine/tfjs.js";
import { reluBackward } from "./dense.js";
import type { Activation, Layer, LayerGradients } from "./layer.js";

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** The layer name, e.g. `"conv1"`. */
  readonly name: string;
  /** The input sample shape `[height, width, channels]`. */
  readonly inputShape: readonly [number, number, number];
  /** Output channels. */
  readonly filters: number;
  /** The kernel's height and width. */
  readonly kernelSize: number;
  /** The activation fused into the output. @default "linear" */
  readonly activation?: Activation;
}

/** A 'same' convolution; its parameters are `weight` `[k, k, in, out]` then `bias` `[out]`. */
export function conv2d(options: Conv2dOptions): Layer {
  const { name, inputShape, filters, kernelSize } = options;
  const activation = options.activation ?? "linear";
  const [h, w, c] = inputShape;
  for (const [i, d] of inputShape.entries()) assertPositiveInteger(`inputShape[${i}]`, d);
  assertPositiveInteger("filters", filters);
  assertPositiveInteger("kernelSize", kernelSize);
  if (activation !== "relu" && activation !== "linear")
    throw new OptionsError("activation", activation, '"relu" or "linear"');
  const filterShape: [number, number, number, number] = [kernelSize, kernelSize, c, filters];
  const fanIn = kernelSize * kernelSize * c;
  return {
    name,
    outputShape: [h, w, filters],
    parameters: [
      { name: "weight", shape: filterShape, fanIn },
      { name: "bias", shape: [filters], fanIn },
    ],
    forward(x, [weight, bias]) {
      return tf.fused.conv2d({
        x: x as Tensor4D,
        filter: weight as Tensor4D,
        strides: 1,
        pad: "same",
        bias: bias as Tensor,
        activation,
      });
    },
    backward(dy, x, y, [weight], needDx): LayerGradients {
      const dz = activation === "relu" ? reluBackward(dy, y) : dy;
      const attrs = { strides: 1, pad: "same", dataFormat: "NHWC" } as const;
      const dw = tf
        .engine()
        .runKernel<Tensor>(tf.Conv2DBackpropFilter, { x, dy: dz }, { ...attrs, filterShape });
      const db = tf.sum(dz, [0, 1, 2]);
      const dx = needDx
        ? tf
            .engine()
            .runKernel<Tensor>(
              tf.Conv2DBackpropInput,
              { dy: dz, filter: weight as Tensor },
              { ...attrs, inputShape: [...x.shape] },
            )
        : undefined;
      return { dx, grads: [dw, db] };
    },
  };
}
