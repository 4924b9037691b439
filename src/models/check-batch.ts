/**
 * {@link assertBatch}: the one check of a {@link Batch} against a model's input shape and class
 * count, shared by every {@link TrainableModel} so they reject bad batches with the same words.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { Batch } from "../core/partitioned-dataset.js";
import { assertPositiveInteger } from "../core/validate.js";

/** What a batch is checked against. */
export interface BatchExpectation {
  /** The model's name, for the messages. */
  readonly model: string;
  /** One sample's shape. A batch may give a flattened shape of the same size. */
  readonly inputShape: readonly number[];
  /** The number of classes. */
  readonly numClasses: number;
}

/**
 * Throws an OptionsError naming the first thing wrong with `batch`; with `labels`, every label
 * must also be a class in [0, numClasses).
 */
export function assertBatch(batch: Batch, expected: BatchExpectation, labels: boolean): void {
  if (batch === null || typeof batch !== "object")
    throw new OptionsError("batch", batch, "a Batch {x, y, size, sampleShape}");
  const { x, y, size, sampleShape } = batch;
  const { inputShape, numClasses } = expected;
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  assertPositiveInteger("batch.size", size);
  if (!(x instanceof Float32Array)) throw new OptionsError("batch.x", x, "a Float32Array");
  if (!Array.isArray(sampleShape) || sampleShape.reduce((a, b) => a * b, 1) !== inputSize)
    throw new OptionsError(
      "batch.sampleShape",
      sampleShape,
      `a shape of ${inputSize} values ([${inputShape.join(", ")}] for model ${expected.model})`,
    );
  if (sampleShape.length === inputShape.length && sampleShape.some((d, i) => d !== inputShape[i]))
    throw new OptionsError("batch.sampleShape", sampleShape, `[${inputShape.join(", ")}]`);
  if (x.length !== size * inputSize)
    throw new OptionsError("batch.x.length", x.length, `${size * inputSize} (size * sample size)`);
  if (!(y instanceof Int32Array) || y.length !== size)
    throw new OptionsError("batch.y", y, `an Int32Array of ${size} labels`);
  if (labels)
    for (let i = 0; i < size; i++) {
      const label = y[i] as number;
      if (label < 0 || label >= numClasses)
        throw new OptionsError(`batch.y[${i}]`, label, `a class in [0, ${numClasses - 1}]`);
    }
}
