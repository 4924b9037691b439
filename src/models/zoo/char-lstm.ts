/**
 * `char-lstm`: LEAF Shakespeare's next-character model: an 8-dimensional character embedding, two
 * LSTM layers of 256 units, and a dense layer from the last step's state to the vocabulary.
 *
 * @module
 */

import type { LayersModel } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { tf } from "../../engine/tfjs.js";
import { torchDefault } from "./torch-init.js";

/** The LSTM width of LEAF's model. */
export const CHAR_LSTM_UNITS = 256;
/** The embedding width of LEAF's model. */
export const CHAR_LSTM_EMBEDDING = 8;

/**
 * The character LSTM for `[sequenceLength]` inputs of character indices (float32 values in
 * [0, numClasses)), predicting the next character: the vocabulary is the class set. Sigmoid
 * gates (tfjs's default is hard sigmoid), one bias per gate (TensorFlow's layout, as in LEAF;
 * PyTorch's `nn.LSTM` has two, 2,048 more values). Initialisation as PyTorch's: embedding N(0, 1),
 * every LSTM weight and the dense layer `U(-1/16, 1/16)`. With 80 characters: 817,872 parameters.
 */
export function buildCharLstm(inputShape: readonly number[], numClasses: number): LayersModel {
  if (!Array.isArray(inputShape) || inputShape.length !== 1)
    throw new OptionsError("inputShape", inputShape, "[sequenceLength] for char-lstm");
  assertPositiveInteger("inputShape[0]", inputShape[0]);
  assertPositiveInteger("numClasses", numClasses);
  const lstm = (name: string, returnSequences: boolean) => {
    const init = torchDefault(CHAR_LSTM_UNITS);
    return tf.layers.lstm({
      name,
      units: CHAR_LSTM_UNITS,
      returnSequences,
      recurrentActivation: "sigmoid",
      kernelInitializer: init.kernelInitializer,
      recurrentInitializer: torchDefault(CHAR_LSTM_UNITS).kernelInitializer,
      biasInitializer: init.biasInitializer,
    });
  };
  return tf.sequential({
    name: "char-lstm",
    layers: [
      tf.layers.embedding({
        name: "embedding",
        inputShape: [inputShape[0] as number],
        inputDim: numClasses,
        outputDim: CHAR_LSTM_EMBEDDING,
        embeddingsInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 1 }),
      }),
      lstm("lstm1", true),
      lstm("lstm2", false),
      tf.layers.dense({ name: "fc", units: numClasses, ...torchDefault(CHAR_LSTM_UNITS) }),
    ],
  });
}
