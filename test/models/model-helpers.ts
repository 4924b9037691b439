/** Helpers for the model tests: random batches and an autodiff reference of the zoo models. */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../../src/core/partitioned-dataset.js";
import type { SequentialClassifier } from "../../src/models/sequential-classifier.js";
import type { Rng } from "../../src/reproducibility/rng.js";

/** A batch of `size` standard-normal samples of `sampleShape`, with uniform labels. */
export function randomBatch(
  rng: Rng,
  size: number,
  sampleShape: readonly number[],
  numClasses: number,
): Batch {
  const n = sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size * n);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) y[i] = rng.int(0, numClasses - 1);
  return { x, y, size, sampleShape: [...sampleShape] };
}

/** The model's parameters as tensors, in flat order, from its flat vector. */
export function parameterTensors(model: SequentialClassifier, flat: Float32Array): tf.Tensor[] {
  return model.parameterInfo.map((p) =>
    tf.tensor(flat.slice(p.offset, p.offset + p.size), [...p.shape]),
  );
}

/**
 * The zoo models' forward pass written with plain tfjs ops (differentiated by tfjs's tape), as an
 * independent reference for the hand-written backward passes.
 */
export function referenceLogits(
  model: SequentialClassifier,
  params: tf.Tensor[],
  x: tf.Tensor,
): tf.Tensor {
  const dense = (h: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D, false, true), b);
  const batch = x.shape[0] as number;
  if (model.name === "cnn") {
    const [c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b] = params;
    let h = tf.maxPool(
      tf.relu(
        tf.add(tf.conv2d(x as tf.Tensor4D, c1w as tf.Tensor4D, 1, "same"), c1b as tf.Tensor),
      ) as tf.Tensor4D,
      2,
      2,
      "valid",
    );
    h = tf.maxPool(
      tf.relu(tf.add(tf.conv2d(h, c2w as tf.Tensor4D, 1, "same"), c2b as tf.Tensor)) as tf.Tensor4D,
      2,
      2,
      "valid",
    );
    const flat = tf.reshape(h, [batch, -1]);
    return dense(
      tf.relu(dense(flat, f1w as tf.Tensor, f1b as tf.Tensor)),
      f2w as tf.Tensor,
      f2b as tf.Tensor,
    );
  }
  let h = tf.reshape(x, [batch, -1]);
  for (let i = 0; i < params.length; i += 2) {
    h = dense(h, params[i] as tf.Tensor, params[i + 1] as tf.Tensor);
    if (i + 2 < params.length) h = tf.relu(h);
  }
  return h;
}

/** The reference mean loss and its flat gradient, by tfjs autodiff, on the current backend. */
export function referenceGradients(
  model: SequentialClassifier,
  flat: Float32Array,
  batch: Batch,
): { loss: number; gradients: Float32Array } {
  return tf.tidy(() => {
    const params = parameterTensors(model, flat);
    const x = tf.tensor(batch.x, [batch.size, ...model.inputShape]);
    const labels = tf.oneHot(tf.tensor1d(batch.y, "int32"), model.numClasses);
    const { value, grads } = tf.valueAndGrads(
      (...ps: tf.Tensor[]) =>
        tf.losses.softmaxCrossEntropy(labels, referenceLogits(model, ps, x)) as tf.Scalar,
    )(params);
    const gradients = new Float32Array(model.numParameters);
    for (const [i, p] of model.parameterInfo.entries())
      gradients.set((grads[i] as tf.Tensor).dataSync() as Float32Array, p.offset);
    return { loss: value.dataSync()[0] as number, gradients };
  });
}

/** max |a - b| / max |b|. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return Number.isNaN(num) || a.length !== b.length
    ? Number.POSITIVE_INFINITY
    : den === 0
      ? num
      : num / den;
}
