/**
 * PyTorch's default initialisations as tfjs initialisers, for the zoo models that reproduce a
 * PyTorch reference. They are only descriptions: {@link LayersModelClassifier} draws the values
 * from BlazeFL's seeded generator.
 *
 * @module
 */
import { tf } from "../../engine/tfjs.js";

/** A tfjs-layers initialiser. */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** The initialiser of a layer's kernel and bias. */
export interface LayerInit {
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
}

/**
 * `nn.Linear` / `nn.Conv2d` / `nn.LSTM` defaults: weight and bias both `U(-1/sqrt(fanIn), 1/sqrt(fanIn))`
 * (`kaiming_uniform_(a=sqrt(5))` reduces to that bound).
 */
export function torchDefault(fanIn: number): LayerInit {
  const bound = 1 / Math.sqrt(fanIn);
  const uniform = () => tf.initializers.randomUniform({ minval: -bound, maxval: bound });
  return { kernelInitializer: uniform(), biasInitializer: uniform() };
}

/** torchvision ResNet's convolutions: `kaiming_normal_(mode="fan_out", nonlinearity="relu")`. */
export function kaimingNormalFanOut(fanOut: number): Initializer {
  return tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanOut) });
}
