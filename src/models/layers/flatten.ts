/**
 * Flattens each sample to one vector (row-major, so NHWC feature maps flatten as `h, w, c`).
 *
 * @module
 */
import { tf } from "../../engine/tfjs.js";
import type { Layer } from "./layer.js";

/** A reshape from `[batch, ...inputShape]` to `[batch, product(inputShape)]`; no parameters. */
export function flatten(name: string, inputShape: readonly number[]): Layer {
  const size = inputShape.reduce((a, b) => a * b, 1);
  return {
    name,
    outputShape: [size],
    parameters: [],
    forward(x) {
      return tf.reshape(x, [x.shape[0] ?? -1, size]);
    },
    backward(dy, x, _y, _params, needDx) {
      return { dx: needDx ? tf.reshape(dy, x.shape) : undefined, grads: [] };
    },
  };
}
