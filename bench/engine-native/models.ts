/**
 * The two benchmark models written with plain tfjs ops, trained with `tf.variableGrads` and SGD:
 * - MLP 784-200-200-10 (relu);
 * - the McMahan et al. CNN: conv5x5x32 'same', relu, maxpool 2, conv5x5x64 'same', relu,
 *   maxpool 2, fc 3136-512, relu, fc 512-10.
 * Weights start uniform in +-1/sqrt(fanIn) (PyTorch's default bound) from a seeded Rng.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createRng, type Rng } from "../../src/reproducibility/index.js";

/** The benchmark models. */
export type ModelKind = "mlp" | "cnn";

/** A model: its variables and its loss on one batch. */
export interface BenchModel {
  readonly kind: ModelKind;
  readonly variables: tf.Variable[];
  /** Shape of one input batch. */
  inputShape(batch: number): number[];
  /** Mean softmax cross-entropy of the logits against one-hot labels. */
  loss(x: tf.Tensor, labels: tf.Tensor): tf.Scalar;
  dispose(): void;
}

function uniform(rng: Rng, shape: number[], fanIn: number, name: string): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniform(-bound, bound);
  return tf.variable(tf.tensor(values, shape, "float32"), true, name);
}

/** Creates a model with seeded weights. */
export function createModel(kind: ModelKind, seed = 42): BenchModel {
  const rng = createRng(seed);
  if (kind === "mlp") {
    const v = [
      uniform(rng, [784, 200], 784, "w1"),
      uniform(rng, [200], 784, "b1"),
      uniform(rng, [200, 200], 200, "w2"),
      uniform(rng, [200], 200, "b2"),
      uniform(rng, [200, 10], 200, "w3"),
      uniform(rng, [10], 200, "b3"),
    ];
    const [w1, b1, w2, b2, w3, b3] = v as [
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
    ];
    return {
      kind,
      variables: v,
      inputShape: (batch) => [batch, 784],
      loss: (x, labels) => {
        const h1 = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1 as tf.Tensor2D), b1));
        const h2 = tf.relu(tf.add(tf.matMul(h1 as tf.Tensor2D, w2 as tf.Tensor2D), b2));
        const logits = tf.add(tf.matMul(h2 as tf.Tensor2D, w3 as tf.Tensor2D), b3);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      },
      dispose: () => {
        for (const x of v) x.dispose();
      },
    };
  }
  const v = [
    uniform(rng, [5, 5, 1, 32], 25, "k1"),
    uniform(rng, [32], 25, "c1"),
    uniform(rng, [5, 5, 32, 64], 800, "k2"),
    uniform(rng, [64], 800, "c2"),
    uniform(rng, [3136, 512], 3136, "w3"),
    uniform(rng, [512], 3136, "b3"),
    uniform(rng, [512, 10], 512, "w4"),
    uniform(rng, [10], 512, "b4"),
  ];
  const [k1, c1, k2, c2, w3, b3, w4, b4] = v as [
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
  ];
  return {
    kind,
    variables: v,
    inputShape: (batch) => [batch, 28, 28, 1],
    loss: (x, labels) => {
      const a1 = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k1 as tf.Tensor4D, 1, "same"), c1));
      const p1 = tf.maxPool(a1 as tf.Tensor4D, 2, 2, "valid");
      const a2 = tf.relu(tf.add(tf.conv2d(p1, k2 as tf.Tensor4D, 1, "same"), c2));
      const p2 = tf.maxPool(a2 as tf.Tensor4D, 2, 2, "valid");
      const flat = tf.reshape(p2, [-1, 3136]) as tf.Tensor2D;
      const h = tf.relu(tf.add(tf.matMul(flat, w3 as tf.Tensor2D), b3));
      const logits = tf.add(tf.matMul(h as tf.Tensor2D, w4 as tf.Tensor2D), b4);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    },
    dispose: () => {
      for (const x of v) x.dispose();
    },
  };
}

/** How the SGD update is applied. */
export type UpdateMode = "ops" | "in-place";

/**
 * One SGD step: gradients of the loss with `tf.variableGrads`, then `w -= lr * g` per variable,
 * either as tfjs ops or through `inPlace` (which may decline; then the ops run). Returns the loss.
 */
export function trainStep(
  model: BenchModel,
  x: tf.Tensor,
  labels: tf.Tensor,
  lr: tf.Scalar,
  inPlace?: (variable: tf.Variable, gradient: tf.Tensor) => boolean,
): number {
  const { value, grads } = tf.variableGrads(() => model.loss(x, labels), model.variables);
  tf.tidy(() => {
    for (const variable of model.variables) {
      const g = grads[variable.name] as tf.Tensor;
      if (inPlace === undefined || !inPlace(variable, g))
        variable.assign(tf.sub(variable, tf.mul(g, lr)));
    }
  });
  for (const name of Object.keys(grads)) grads[name]?.dispose();
  const loss = value.dataSync()[0] ?? Number.NaN;
  value.dispose();
  return loss;
}

/** Seeded random batches: inputs uniform in [0, 1), one-hot labels. */
export function makeBatches(
  model: BenchModel,
  batch: number,
  count: number,
  seed = 7,
): { xs: tf.Tensor[]; ys: tf.Tensor[] } {
  const rng = createRng(seed);
  const shape = model.inputShape(batch);
  const n = shape.reduce((a, b) => a * b, 1);
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for (let i = 0; i < count; i++) {
    const values = new Float32Array(n);
    for (let j = 0; j < n; j++) values[j] = rng.nextFloat();
    xs.push(tf.tensor(values, shape, "float32"));
    const labels = new Float32Array(batch * 10);
    for (let j = 0; j < batch; j++) labels[j * 10 + rng.int(0, 9)] = 1;
    ys.push(tf.tensor(labels, [batch, 10], "float32"));
  }
  return { xs, ys };
}
