/**
 * The fused FusedBatchNorm and Mean gradients against tfjs's own, through a batch-norm layer's
 * training computation (moments, then batch norm with scale and offset) and plain means.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { BATCH_NORM_GRAD_KERNEL, MEAN_GRAD_KERNEL } from "../../../src/engine/native/norm-grads.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertClose, randn, requireNativeAddon, runNative, runStock } from "./helpers.js";

before(() => requireNativeAddon());

describe("fused norm gradients", () => {
  const cases: [string, () => tf.Tensor[]][] = [
    [
      "batch norm in training mode (moments over N, H, W), every input's gradient",
      () => {
        const r = createRng(4);
        const x = randn(r, [3, 4, 5, 6]);
        const gamma = randn(r, [6]);
        const beta = randn(r, [6]);
        const w = randn(r, [3, 4, 5, 6]);
        const f = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(xi, [0, 1, 2]);
          return tf.sum(tf.mul(tf.batchNorm(xi, mean, variance, b, g, 1e-5), w));
        };
        return tf.grads(f)([x, gamma, beta]);
      },
    ],
    [
      "batch norm over the rows of a matrix (tfjs cannot differentiate one without scale or offset)",
      () => {
        const r = createRng(5);
        const x = randn(r, [7, 3]);
        const w = randn(r, [7, 3]);
        const gamma = randn(r, [3]);
        const beta = randn(r, [3]);
        return tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(xi, [0]);
          return tf.sum(tf.mul(tf.batchNorm(xi, mean, variance, b, g, 1e-3), w));
        })([x, gamma, beta]);
      },
    ],
    [
      "means over leading, middle and trailing axes",
      () => {
        const r = createRng(6);
        const x = randn(r, [2, 3, 4]);
        const w1 = randn(r, [4]);
        const w2 = randn(r, [2, 1, 4]);
        const w3 = randn(r, [2, 3]);
        return [
          tf.grad((xi: tf.Tensor) =>
            tf.add(
              tf.add(
                tf.sum(tf.mul(tf.mean(xi, [0, 1]), w1)),
                tf.sum(tf.mul(tf.mean(xi, 1, true), w2)),
              ),
              tf.sum(tf.mul(tf.mean(xi, -1), w3)),
            ),
          )(x),
        ];
      },
    ],
  ];
  for (const [name, fn] of cases)
    test(name, async () => {
      const stock = await runStock(fn);
      const { native } = await runNative(fn);
      assertClose(stock, native, name, 1e-5);
      const profile = await tf.profile(() => {
        tf.dispose(fn());
      });
      const ran = new Set(profile.kernels.map((k) => k.name));
      assert.ok(ran.has(MEAN_GRAD_KERNEL) || ran.has(BATCH_NORM_GRAD_KERNEL), [...ran].join(" "));
      if (name.startsWith("batch norm")) assert.ok(ran.has(BATCH_NORM_GRAD_KERNEL), name);
    });
});
