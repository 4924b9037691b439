/**
 * Output-buffer reuse is invisible: arrays read out of tensors, user arrays, views that outlive
 * their source and buffers that were poisoned while free all behave as with fresh buffers.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../../src/core/errors.js";
import {
  copyTensorData,
  installNativeKernels,
  nativeKernelStats,
  uninstallNativeKernels,
} from "../../../src/engine/native/index.js";
import { nativeKernelContext } from "../../../src/engine/native/install.js";
import { createMlp } from "../../../src/models/mlp.js";
import { SgdOptimizer } from "../../../src/models/sgd-optimizer.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { randn, requireNativeAddon } from "./helpers.js";

before(async () => {
  requireNativeAddon();
  await installNativeKernels();
});

/** Churns the pool with many same-sized native outputs. */
function churn(n: number, rounds = 20): void {
  for (let i = 0; i < rounds; i++) tf.tidy(() => tf.add(tf.fill([n], i), tf.fill([n], 1)));
}

describe("buffer reuse", () => {
  test("an array read out with dataSync() is never handed out again", () => {
    const a = tf.fill([1000], 2);
    const y = tf.add(a, a);
    const values = y.dataSync();
    const copy = Float32Array.from(values);
    y.dispose();
    churn(1000);
    assert.deepEqual(values, copy);
    assert.ok(nativeKernelStats().pool!.escaped > 0);
    a.dispose();
  });

  test("copyTensorData copies without pinning the buffer; bad targets are rejected", () => {
    const y = tf.add(tf.range(0, 500), 1);
    const escapedBefore = nativeKernelStats().pool!.escaped;
    const target = new Float32Array(510);
    copyTensorData(y, target, 10);
    assert.equal(target[10], 1);
    assert.equal(target[509], 500);
    assert.equal(nativeKernelStats().pool!.escaped, escapedBefore, "the copy pinned the buffer");
    assert.throws(() => copyTensorData(y, target, 11), OptionsError);
    assert.throws(() => copyTensorData(y, target, -1), OptionsError);
    assert.throws(() => copyTensorData(tf.tensor([1], [1], "int32"), target), OptionsError);
    y.dispose();
    assert.throws(() => copyTensorData(y, target), OptionsError);
  });

  test("a model loads and reads its parameters in its own buffers, without pinning them", () => {
    const known = new Set(Object.keys(tf.engine().state.registeredVariables));
    const model = createMlp({
      rng: createRng(1),
      inputShape: [8],
      hiddenUnits: [16],
      numClasses: 8,
    });
    const variables = Object.entries(tf.engine().state.registeredVariables)
      .filter(([name]) => !known.has(name))
      .map(([, v]) => v);
    const rng = createRng(2);
    const batch = {
      x: Float32Array.from({ length: 4 * 8 }, () => rng.normal()),
      y: Int32Array.from([0, 1, 2, 3]),
      size: 4,
      sampleShape: [8],
    };
    const sgd = new SgdOptimizer({ lr: 0.1 });
    model.trainStep(batch, sgd); // the first step moves every weight into a pool buffer
    const backend = nativeKernelContext()!.backend;
    // The two weight matrices (128 and 128 values); the biases are too small to be pooled.
    const weights = () =>
      variables.filter((v) => v.size >= 64).map((v) => backend.data.get(v.dataId).values);
    const before = weights();
    assert.equal(before.length, 2);
    const escapedBefore = nativeKernelStats().pool!.escaped;
    const trained = model.getFlatParameters();
    assert.equal(nativeKernelStats().pool!.escaped, escapedBefore, "getFlatParameters pinned");
    const start = Float32Array.from(trained, (v, i) => v + i);
    model.setFlatParameters(start);
    for (const [i, b] of weights().entries()) assert.equal(b, before[i], "a new buffer");
    assert.deepEqual(model.getFlatParameters(), start);
    start.fill(0); // a copy: the caller's array does not leak in
    assert.notEqual(model.getFlatParameters()[1], 0);
    // Values read out with dataSync() may be kept: those buffers are replaced, never written.
    const reads = variables.map((v) => v.dataSync());
    const copies = reads.map((r) => Float32Array.from(r));
    model.setFlatParameters(trained);
    assert.deepEqual(reads, copies);
    for (const [i, b] of weights().entries()) assert.notEqual(b, before[i]);
    assert.deepEqual(model.getFlatParameters(), trained);
    model.dispose();
    sgd.dispose();
  });

  test("a user's array given to tf.tensor is never recycled", () => {
    const user = new Float32Array(1000).fill(3);
    const t = tf.tensor(user);
    const y = tf.relu(t);
    t.dispose();
    y.dispose();
    churn(1000);
    assert.ok(user.every((v) => v === 3));
  });

  test("a slice that views a disposed output keeps its values", () => {
    const y = tf.add(tf.range(0, 2000), 0.5);
    const head = tf.slice(y, [0], [1000]); // contiguous: the cpu backend returns a view
    // (Reading head now would mark the buffer as escaped and hide a bug.)
    const expected = Float32Array.from({ length: 1000 }, (_, i) => i + 0.5);
    y.dispose();
    churn(2000);
    churn(1000);
    assert.deepEqual(head.dataSync(), expected);
    head.dispose();
  });

  test("a short slice of a disposed output keeps its values too", () => {
    const y = tf.add(tf.range(0, 2000), 0.25);
    const head = tf.slice(y, [0], [5]);
    const expected = Float32Array.from({ length: 5 }, (_, i) => i + 0.25);
    y.dispose();
    churn(2000);
    assert.deepEqual(head.dataSync(), expected);
    head.dispose();
  });

  test("kernels never read their output: poisoned free buffers change nothing", () => {
    const run = () =>
      tf.tidy(() => {
        const r = createRng(3);
        const x = randn(r, [2, 9, 9, 16]) as tf.Tensor4D;
        const f = randn(r, [3, 3, 16, 32]) as tf.Tensor4D;
        const g = tf.grads((xi: tf.Tensor, fi: tf.Tensor) => {
          const c = tf.relu(tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, 1, "same"));
          const p = tf.maxPool(c as tf.Tensor4D, 2, 2, "valid");
          const m = tf.matMul(tf.reshape(p, [2, -1]) as tf.Tensor2D, tf.ones([512, 3]));
          return tf.sum(tf.mul(tf.sub(m, 1), tf.div(m, 3)));
        });
        return g([x, f]).map((t) => Float32Array.from(t.dataSync()));
      });
    const clean = run();
    const pool = nativeKernelContext()!.pool;
    run(); // fill the free lists with every size this computation uses
    pool.poison(Number.NaN);
    const poisoned = run();
    assert.ok(nativeKernelStats().pool!.hits > 0);
    for (let i = 0; i < clean.length; i++) assert.deepEqual(poisoned[i], clean[i]);
  });

  test("bufferReuse: false allocates every output fresh", async () => {
    uninstallNativeKernels();
    await installNativeKernels({ bufferReuse: false });
    churn(1000);
    const stats = nativeKernelStats().pool!;
    assert.equal(stats.hits, 0);
    assert.equal(stats.recycled, 0);
    uninstallNativeKernels();
    await installNativeKernels();
  });
});
