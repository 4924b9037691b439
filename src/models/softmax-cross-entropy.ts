/**
 * Softmax cross-entropy on logits already read back from the engine. With 10 classes a batch's
 * logits are a few hundred numbers, so computing the loss and its gradient here, in float64,
 * costs less than the eight or so kernel calls it would take on the engine.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";

/** Sums over one batch, from {@link softmaxCrossEntropy}. */
export interface CrossEntropySums {
  /** The sum over samples of `-log softmax(logits)[label]`. */
  readonly lossSum: number;
  /** The number of samples whose largest logit is their label's (ties go to the lower class). */
  readonly correct: number;
}

/**
 * The loss sum and correct count of a batch; optionally the gradient of the *mean* loss with
 * respect to the logits, `(softmax - onehot) / batchSize`, written into `grad`.
 *
 * @param logits - `batchSize * numClasses` values, row-major.
 * @param labels - One label per sample, in [0, numClasses).
 * @param numClasses - The number of classes.
 * @param grad - Optional output, the same length as `logits`.
 */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: Int32Array,
  numClasses: number,
  grad?: Float32Array,
): CrossEntropySums {
  const batchSize = labels.length;
  if (logits.length !== batchSize * numClasses)
    throw new OptionsError("logits.length", logits.length, `${batchSize * numClasses}`);
  if (grad !== undefined && grad.length !== logits.length)
    throw new OptionsError("grad.length", grad.length, `${logits.length}`);
  let lossSum = 0;
  let correct = 0;
  const scale = 1 / batchSize;
  for (let i = 0; i < batchSize; i++) {
    const row = i * numClasses;
    const label = labels[i] as number;
    let max = Number.NEGATIVE_INFINITY;
    let argmax = 0;
    for (let k = 0; k < numClasses; k++) {
      const v = logits[row + k] as number;
      if (v > max) {
        max = v;
        argmax = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < numClasses; k++) sum += Math.exp((logits[row + k] as number) - max);
    const logSum = max + Math.log(sum);
    lossSum += logSum - (logits[row + label] as number);
    if (argmax === label) correct++;
    if (grad !== undefined)
      for (let k = 0; k < numClasses; k++) {
        const p = Math.exp((logits[row + k] as number) - logSum);
        grad[row + k] = (k === label ? p - 1 : p) * scale;
      }
  }
  return { lossSum, correct };
}
