/** The fused in-place SGD step: same bits as the tfjs ops, and only when nobody can see it. */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../../src/core/errors.js";
import {
  installNativeKernels,
  trySgdUpdateInPlace,
  uninstallNativeKernels,
} from "../../../src/engine/native/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { randn, requireNativeAddon } from "./helpers.js";

before(async () => {
  requireNativeAddon();
  await installNativeKernels();
});

/** A variable whose buffer is a native output (what a training step leaves behind). */
function nativeVariable(seed: number, shape: number[]): tf.Variable {
  const v = tf.variable(randn(createRng(seed), shape));
  tf.tidy(() => {
    v.assign(tf.add(v, 0));
  });
  return v;
}

test("bit-identical to variable.assign(w - lr * g) over several steps", () => {
  const shape = [33, 17];
  const a = nativeVariable(1, shape);
  const b = nativeVariable(1, shape);
  const rng = createRng(2);
  for (let step = 0; step < 5; step++) {
    const g = randn(rng, shape);
    assert.equal(trySgdUpdateInPlace(a, g, 0.037), true, `step ${step} declined`);
    tf.tidy(() => b.assign(tf.sub(b, tf.mul(g, 0.037))));
    g.dispose();
  }
  assert.deepEqual(a.dataSync(), b.dataSync());
});

test("declines a buffer it cannot prove private, and then the ops path is used", () => {
  const shape = [100];
  const g = tf.fill(shape, 1);
  const fromUser = tf.variable(tf.tensor(new Float32Array(100)));
  assert.equal(trySgdUpdateInPlace(fromUser, g, 0.1), false, "user-provided buffer");
  const read = nativeVariable(3, shape);
  read.dataSync();
  assert.equal(trySgdUpdateInPlace(read, g, 0.1), false, "values were read out");
  const shared = nativeVariable(4, shape);
  assert.equal(trySgdUpdateInPlace(shared, g, 0.1), true, "a private native buffer");
  const clone = tf.clone(shared);
  assert.equal(trySgdUpdateInPlace(shared, g, 0.1), false, "a clone shares the buffer");
  const before = Float32Array.from(clone.dataSync());
  tf.tidy(() => shared.assign(tf.sub(shared, tf.mul(g, 0.1))));
  assert.deepEqual(clone.dataSync(), before, "the clone must not change");
  assert.equal(trySgdUpdateInPlace(nativeVariable(5, [10]), g, 0.1), false, "shape mismatch");
  const int = tf.variable(tf.tensor([1, 2, 3], [3], "int32"));
  assert.equal(trySgdUpdateInPlace(int, tf.tensor([1, 1, 1], [3], "int32"), 0.1), false, "int32");
  for (const t of [g, fromUser, read, shared, clone, int]) t.dispose();
});

test("rejects a learning rate that is not finite", () => {
  const v = nativeVariable(6, [10]);
  const g = tf.ones([10]);
  assert.throws(() => trySgdUpdateInPlace(v, g, Number.NaN), OptionsError);
  assert.throws(() => trySgdUpdateInPlace(v, g, Number.POSITIVE_INFINITY), OptionsError);
  v.dispose();
  g.dispose();
});

test("declines when the native kernels are not installed", async () => {
  const v = nativeVariable(7, [10]);
  const g = tf.ones([10]);
  uninstallNativeKernels();
  assert.equal(trySgdUpdateInPlace(v, g, 0.1), false);
  await installNativeKernels();
  v.dispose();
  g.dispose();
});
