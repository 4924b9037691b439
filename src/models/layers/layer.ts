/**
 * The layer contract of BlazeFL's small sequential models: a forward pass and a hand-written
 * backward pass. Explicit backward passes skip tfjs's tape (about half of a small model's step
 * time) and let the forward pass use fused kernels (bias and relu in one call).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** One parameter tensor of a layer. */
export interface ParameterSpec {
  /** The parameter's name within its layer, e.g. `"weight"` or `"bias"`. */
  readonly name: string;
  /** Its shape (dense `[out, in]`, conv `[kh, kw, in, out]`). */
  readonly shape: readonly number[];
  /** The fan-in that scales its initialisation: `U(-1/sqrt(fanIn), 1/sqrt(fanIn))`. */
  readonly fanIn: number;
}

/** The result of a layer's backward pass. */
export interface LayerGradients {
  /** The gradient with respect to the layer's input, when it was asked for. */
  readonly dx: tf.Tensor | undefined;
  /** The gradients of the layer's parameters, in {@link Layer.parameters} order. */
  readonly grads: readonly tf.Tensor[];
}

/** A layer with an explicit backward pass. Layers hold no tensors; the model owns them. */
export interface Layer {
  /** The layer's name, e.g. `"conv1"`; parameter names are `<layer>.<parameter>`. */
  readonly name: string;
  /** The shape of one sample at the layer's output. */
  readonly outputShape: readonly number[];
  /** The layer's parameters, in their fixed order (empty for pooling and reshapes). */
  readonly parameters: readonly ParameterSpec[];
  /**
   * The forward pass of a batch.
   * @param x - The input, `[batch, ...inputShape]`.
   * @param params - The parameter tensors, in {@link Layer.parameters} order.
   */
  forward(x: tf.Tensor, params: readonly tf.Tensor[]): tf.Tensor;
  /**
   * The backward pass of a batch.
   * @param dy - The loss gradient at the output.
   * @param x - The input of the forward pass.
   * @param y - The output of the forward pass.
   * @param params - The parameter tensors.
   * @param needDx - Whether the input gradient is needed (false for the first layer).
   */
  backward(
    dy: tf.Tensor,
    x: tf.Tensor,
    y: tf.Tensor,
    params: readonly tf.Tensor[],
    needDx: boolean,
  ): LayerGradients;
}

/** The activations a layer can fuse into its output. */
export type Activation = "relu" | "linear";
