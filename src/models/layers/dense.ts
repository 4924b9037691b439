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
import { RELU_GRAD_KERNEL } from "../../engine/native/relu-grad.js";
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

/**
 * Runs a kernel without the op around it, on tfjs's cpu backend (the native engine, or tfjs's
 * own kernels). A small model's step is mostly op bookkeeping: each op opens a scope, and
 * `fused.matMul` adds three reshapes and a custom gradient, which these layers never use (their
 * backward passes are written out). Skipping them cuts the JS allocated per MLP step by half
 * (115 -> 48 KB), so the garbage collector runs half as often; the kernels and their inputs are
 * the same, so are the results. Undefined on other backends, where the ops run.
 */
function cpuKernel(
  name: string,
  inputs: Readonly<Record<string, Tensor>>,
  attrs: Readonly<Record<string, number | boolean | string | number[]>> = {},
): Tensor | undefined {
  if (tf.getBackend() !== "cpu") return undefined;
  return tf.engine().runKernel(name, inputs, attrs) as Tensor;
}

/** The gradient through a relu, from its output `y`: `dy * (y > 0)`. */
export function reluBackward(dy: Tensor, y: Tensor): Tensor {
  // The native engine's one-pass kernel gives tfjs's `dy * step(y)`, bit for bit.
  if (tf.getKernel(RELU_GRAD_KERNEL, "cpu") !== undefined) {
    const dz = cpuKernel(RELU_GRAD_KERNEL, { dy, x: y });
    if (dz !== undefined) return dz;
  }
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
      const y = cpuKernel(
        "_FusedMatMul",
        { a: x, b: w as Tensor, bias: b as Tensor },
        { transposeA: false, transposeB: true, activation },
      );
      if (y !== undefined) return y;
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
      const product = (a: Tensor, b: Tensor, transposeA: boolean) =>
        cpuKernel("BatchMatMul", { a, b }, { transposeA, transposeB: false }) ??
        tf.matMul(a as Tensor2D, b as Tensor2D, transposeA, false);
      const dw = weightsFirst()
        ? tf.matMul(tf.transpose(dz as Tensor2D), x as Tensor2D)
        : product(dz, x, true);
      const db = cpuKernel("Sum", { x: dz }, { axis: [0], keepDims: false }) ?? tf.sum(dz, 0);
      // Packing W here (about 15 ms at 3136x512) still beats transposing it (about 20 ms).
      const dx = needDx ? product(dz, w as Tensor, false) : undefined;
      return { dx, grads: [dw, db] };
    },
  };
}
