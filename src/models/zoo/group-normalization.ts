/**
 * {@link GroupNormalization}: group norm (Wu & He, 2018) as a tfjs layer, which tfjs-layers lacks.
 * FL papers replace batch norm by it under non-IID data, where per-client batch statistics
 * disagree (Hsieh et al., 2020; Reddi et al., 2021).
 *
 * @module
 */

import type { LayerVariable, Shape, serialization, Tensor } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { tf } from "../../engine/tfjs.js";

/** Options of {@link GroupNormalization}. */
export interface GroupNormalizationOptions {
  /** The layer name. */
  readonly name?: string;
  /** The number of groups the channels are split into; must divide the channel count. */
  readonly groups: number;
  /** Added to the variance. @default 1e-5 (PyTorch's) */
  readonly epsilon?: number;
}

/**
 * Normalises each sample's channels-last input over (spatial positions, channels of a group),
 * then scales and shifts each channel by `gamma` (ones) and `beta` (zeros), as PyTorch's
 * `nn.GroupNorm`. It has no running statistics: training and inference compute the same thing.
 */
export class GroupNormalization extends tf.layers.Layer {
  /** tfjs's serialisation name. */
  static className = "GroupNormalization";
  /** The number of groups. */
  readonly groups: number;
  /** Added to the variance. */
  readonly epsilon: number;
  #gamma: LayerVariable | undefined;
  #beta: LayerVariable | undefined;

  /** @param options - The groups and epsilon. */
  constructor(options: GroupNormalizationOptions) {
    super(options.name === undefined ? {} : { name: options.name });
    assertPositiveInteger("groups", options.groups);
    this.groups = options.groups;
    this.epsilon = options.epsilon ?? 1e-5;
    if (!Number.isFinite(this.epsilon) || this.epsilon <= 0)
      throw new OptionsError("epsilon", options.epsilon, "a finite number > 0");
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = shape.at(-1);
    if (typeof channels !== "number" || channels % this.groups !== 0)
      throw new OptionsError(
        `${this.name}.groups`,
        this.groups,
        `a divisor of the channel count (${String(channels)})`,
      );
    this.#gamma = this.addWeight("gamma", [channels], "float32", tf.initializers.ones());
    this.#beta = this.addWeight("beta", [channels], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as Tensor) : inputs;
      const shape = x.shape;
      const channels = shape.at(-1) as number;
      const positions = shape.slice(1, -1).reduce((a, b) => a * b, 1);
      // [batch, positions, groups, channels per group]: rank 4, and each mean is over one
      // contiguous axis (the mean of equal-sized group means is the group mean), which the
      // native engine's kernels and fused gradients take.
      const grouped = tf.reshape(x, [
        shape[0] as number,
        positions,
        this.groups,
        channels / this.groups,
      ]);
      const meanOver = (t: Tensor) => tf.mean(tf.mean(t, 3, true), 1, true);
      const centred = tf.sub(grouped, meanOver(grouped));
      const variance = meanOver(tf.square(centred));
      const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, this.epsilon)));
      const gamma = (this.#gamma as LayerVariable).read();
      const beta = (this.#beta as LayerVariable).read();
      return tf.add(tf.mul(tf.reshape(normed, shape), gamma), beta);
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      epsilon: this.epsilon,
      gammaInitializer: { className: "Ones", config: {} },
      betaInitializer: { className: "Zeros", config: {} },
    };
  }
}
tf.serialization.registerClass(GroupNormalization);
