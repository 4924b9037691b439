/**
 * No tensor leaks: 1,000 training steps of a small MLP and a small CNN on the native engine
 * leave the tensor count and the buffer pool exactly where they were after the first steps.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  installNativeKernels,
  nativeKernelStats,
  trySgdUpdateInPlace,
} from "../../../src/engine/native/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { randn, requireNativeAddon } from "./helpers.js";

before(async () => {
  requireNativeAddon();
  await installNativeKernels();
});

function trainer(kind: "mlp" | "cnn") {
  const rng = createRng(kind === "mlp" ? 1 : 2);
  const shapes =
    kind === "mlp"
      ? [[20, 32], [32], [32, 10], [10]]
      : [[3, 3, 1, 16], [16], [4 * 4 * 16, 10], [10]];
  const vars = shapes.map((s) => tf.variable(tf.mul(randn(rng, s), 0.1)));
  const x = randn(rng, kind === "mlp" ? [16, 20] : [4, 8, 8, 1]);
  const labels = tf.oneHot(
    tf.tensor1d(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6].slice(0, kind === "mlp" ? 16 : 4),
      "int32",
    ),
    10,
  );
  const [w1, b1, w2, b2] = vars as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const loss = () => {
    let h: tf.Tensor;
    if (kind === "mlp") h = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1 as tf.Tensor2D), b1));
    else {
      const a = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, "same"), b1));
      h = tf.reshape(tf.maxPool(a as tf.Tensor4D, 2, 2, "valid"), [4, -1]);
    }
    const logits = tf.add(tf.matMul(h as tf.Tensor2D, w2 as tf.Tensor2D), b2);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  return () => {
    const { value, grads } = tf.variableGrads(loss, vars);
    tf.tidy(() => {
      for (const v of vars) {
        const g = grads[v.name]!;
        if (!trySgdUpdateInPlace(v, g, 0.05)) v.assign(tf.sub(v, tf.mul(g, 0.05)));
      }
    });
    for (const g of Object.values(grads)) g.dispose();
    const l = value.dataSync()[0]!;
    value.dispose();
    return l;
  };
}

for (const kind of ["mlp", "cnn"] as const) {
  test(`${kind}: tensor count and pool stay flat over 1,000 steps`, () => {
    const step = trainer(kind);
    for (let i = 0; i < 10; i++) step();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const pool = nativeKernelStats().pool!;
    let first = Number.NaN;
    let last = Number.NaN;
    for (let i = 0; i < 1000; i++) {
      last = step();
      if (i === 0) first = last;
      if (i % 100 === 99) assert.equal(tf.memory().numTensors, tensors, `tensors at step ${i}`);
    }
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.memory().numBytes, bytes);
    const after = nativeKernelStats().pool!;
    assert.equal(after.liveBuffers, pool.liveBuffers, "pool buffers held by tensors grew");
    assert.ok(after.freeBytes <= pool.freeBytes, "the pool's free lists grew");
    assert.equal(after.misses, pool.misses, "steady-state steps allocated fresh buffers");
    assert.ok(after.hits > pool.hits, "buffers were not reused");
    assert.ok(Number.isFinite(last) && last < first, `the loss did not fall (${first} -> ${last})`);
  });
}
