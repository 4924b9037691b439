/**
 * A fully connected layer, `y = act(x W^T + b)`, with `W` of shape `[out, in]` (PyTorch's
 * layout).
 *
 * On the wasm backend every product is arranged so that the operand XNNPACK packs afresh on each
 * call, its second one, is a batch-sized activation, never the weights: packing a 3136x512
 * weight matrix costs about 20 ms, three times the product itself. The weights therefore come
 * first, `y^T = W x^T`, which the `[out, in]` layout gives without a transpose. Only the input
 * gradient `dy W` packs W (skipped for a model's first layer): the alternatives, transposing W
 * or a convolution, measured slower on the wasm backend.
 *
 * @module
 */

import type { Tensor, Tensor2D } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { tf } from "../../engine/tfjs.js";
import type { Activation, Layer, LayerGradients } from "./layer.js";

/** Options of {@link dense}. */
export interface DenseOptions {
  /** The layer name, e.g. `"fc1"`. */
  readonly name: string;
  /** Input features. */
  readonly inputUnits: number;
  /** Output features. */
  readonly units: number;
  /** The activation fused into the output. @default "linear" */
  readonly activation?: Activation;
}

/**
 * Whether to put the weights first in every product. The wasm backend (XNNPACK) packs its second
 * operand afresh on each call, so there the weights go first and the activations are transposed;
 * other backends (cpu, native, tensorflow) take transposed operands for free.
 */
function weightsFirst(): boolean {
  return tf.getBackend() === "wasm";
}

/** The gradient through a relu, from its output `y`: `dy * (y > 0)`. */
export function reluBackward(dy: Tensor, y: Tensor): Tensor {
  return tf.mul(dy, tf.step(y));
}

/** A fully connected layer; its parameters are `weight` `[out, in]` then `bias` `[out]`. */
export function dense(options: DenseOptions): Layer {
  const { name, inputUnits, units } = options;
  const activation = options.activation ?? "linear";
  assertPositiveInteger("inputUnits", inputUnits);
  assertPositiveInteger("units", units);
  if (activation !== "relu" && activation !== "linear")
    throw new OptionsError("activation", activation, '"relu" or "linear"');
  return {
    name,
    outputShape: [units],
    parameters: [
      { name: "weight", shape: [units, inputUnits], fanIn: inputUnits },
      { name: "bias", shape: [units], fanIn: inputUnits },
    ],
    forward(x, [w, b]) {
      if (!weightsFirst())
        return tf.fused.matMul({
          a: x as Tensor2D,
          b: w as Tensor2D,
          transposeB: true,
          bias: b as Tensor,
          activation,
        });
      const yT = tf.matMul(w as Tensor2D, tf.transpose(x as Tensor2D));
      const z = tf.add(tf.transpose(yT), b as Tensor);
      return activation === "relu" ? tf.relu(z) : z;
    },
    backward(dy, x, y, [w], needDx): LayerGradients {
      const dz = activation === "relu" ? reluBackward(dy, y) : dy;
      const dw = weightsFirst()
        ? tf.matMul(tf.transpose(dz as Tensor2D), x as Tensor2D)
        : tf.matMul(dz as Tensor2D, x as Tensor2D, true, false);
      const db = tf.sum(dz, 0);
      // Packing W here (about 15 ms at 3136x512) still beats transposing it (about 20 ms).
      const dx = needDx ? tf.matMul(dz as Tensor2D, w as Tensor2D) : undefined;
      return { dx, grads: [dw, db] };
    },
  };
}
