/**
 * Finite-difference gradient checks of the native kernels: for f(x) = sum(w * op(x)), evaluated
 * in double from the float32 outputs, the central difference at a few random coordinates must
 * match the analytic gradient that the native backward kernels compute.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  installNativeKernels,
  nativeKernelStats,
  resetNativeKernelStats,
} from "../../../src/engine/native/index.js";
import { createRng, type Rng } from "../../../src/reproducibility/index.js";
import { randn, requireNativeAddon } from "./helpers.js";

/** sum(w * y) in double. */
function weightedSum(y: tf.Tensor, w: Float32Array): number {
  const values = y.dataSync();
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! * w[i]!;
  return s;
}

/**
 * Checks d/dinputs[k] of sum(w * op(inputs)) at `samples` random coordinates of every input.
 */
function checkGradients(
  rng: Rng,
  shapes: number[][],
  op: (...inputs: tf.Tensor[]) => tf.Tensor,
  h: number,
  tolerance: number,
  samples = 6,
): void {
  tf.tidy(() => {
    const inputs = shapes.map((s) => randn(rng, s));
    const outShape = op(...inputs).shape;
    const w = randn(rng, outShape).dataSync() as Float32Array;
    const wTensor = tf.tensor(w, outShape);
    const analytic = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), wTensor)))(inputs);
    inputs.forEach((input, k) => {
      const base = Float32Array.from(input.dataSync());
      const grad = analytic[k]!.dataSync();
      let scale = 1e-3;
      for (const g of grad) scale = Math.max(scale, Math.abs(g));
      for (let s = 0; s < samples; s++) {
        const i = rng.int(0, base.length - 1);
        const at = (delta: number) =>
          tf.tidy(() => {
            const moved = Float32Array.from(base);
            moved[i] = base[i]! + delta;
            const args = inputs.map((t, j) => (j === k ? tf.tensor(moved, t.shape) : t));
            return weightedSum(op(...args), w);
          });
        const numeric = (at(h) - at(-h)) / (2 * h);
        const err = Math.abs(numeric - grad[i]!) / scale;
        assert.ok(
          err <= tolerance,
          `input ${k} [${i}]: numeric ${numeric} analytic ${grad[i]} (error ${err})`,
        );
      }
    });
  });
}

before(async () => {
  requireNativeAddon();
  await installNativeKernels();
});

describe("finite-difference gradients through the native kernels", () => {
  const rng = createRng(99);
  const cases: {
    name: string;
    shapes: number[][];
    op: (...t: tf.Tensor[]) => tf.Tensor;
    kernels: string[];
    h?: number;
  }[] = [
    {
      name: "conv2d stride 2 'same' (input and filter)",
      shapes: [
        [2, 7, 8, 3],
        [3, 3, 3, 4],
      ],
      op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, "same"),
      kernels: ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"],
    },
    {
      name: "conv2d stride 1 explicit padding, 16 -> 16 channels (direct kernels)",
      shapes: [
        [1, 6, 6, 16],
        [3, 3, 16, 16],
      ],
      op: (x, f) =>
        tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, [
          [0, 0],
          [1, 0],
          [2, 1],
          [0, 0],
        ]),
      kernels: ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"],
    },
    {
      name: "fused conv2d with bias and relu",
      shapes: [[1, 6, 6, 2], [3, 3, 2, 16], [16]],
      op: (x, f, b) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          strides: 1,
          pad: "valid",
          bias: b,
          activation: "relu",
        }),
      kernels: ["Conv2D", "Relu"],
      h: 1e-3,
    },
    {
      // (tfjs's BatchMatMul gradient does not reduce broadcast batch dimensions.)
      name: "batched matMul with both transposes",
      shapes: [
        [2, 5, 4],
        [2, 6, 5],
      ],
      op: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, true),
      kernels: ["BatchMatMul"],
    },
    {
      name: "max pool 3x3 stride 2 'same' (overlapping windows)",
      shapes: [[2, 7, 7, 3]],
      op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, "same"),
      kernels: ["MaxPool", "MaxPoolGrad"],
      h: 1e-3,
    },
    {
      name: "broadcast add, sub, mul, div and sum",
      shapes: [[4, 1, 5], [3, 1], [5]],
      op: (a, b, c) =>
        tf.sum(tf.div(tf.mul(tf.sub(tf.add(a!, b!), c!), a!), tf.add(tf.abs(c!), 1)), 0, true),
      kernels: ["Add", "Sub", "Multiply", "RealDiv", "Sum"],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      resetNativeKernelStats();
      checkGradients(rng, c.shapes, c.op, c.h ?? 1e-2, 2e-3);
      const calls = nativeKernelStats().kernels;
      for (const kernel of c.kernels)
        assert.ok((calls[kernel]?.native ?? 0) > 0, `${kernel} did not run natively`);
    });
  }
});
