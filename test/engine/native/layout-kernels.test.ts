/**
 * The memory-moving and normalisation overrides (Slice, PadV2, SplitV, Unpack, Pack, Transpose,
 * Tile, UnsortedSegmentSum, Mean, FusedBatchNorm, Square, 2x2 MaxPoolGrad) against tfjs's stock cpu kernels, on
 * the shapes the tfjs-layers zoo models produce and a few edge cases. Every case must run
 * natively (no silent fallback).
 */
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../../../src/reproducibility/index.js";
import {
  assertClose,
  assertNative,
  randn,
  requireNativeAddon,
  stockVersusNative,
} from "./helpers.js";

before(() => requireNativeAddon());

async function check(name: string, kernels: string[], fn: () => tf.Tensor[]): Promise<void> {
  const { stock, native, calls } = await stockVersusNative(fn);
  assertClose(stock, native, name, 1e-6);
  for (const k of kernels) assertNative(calls, k, name);
}

describe("native layout and norm kernels", () => {
  const r = () => createRng(3);
  test("Slice: a padded image's interior, a middle run, a single element", () =>
    check("Slice", ["Slice"], () => {
      const x = randn(r(), [2, 6, 5, 3]);
      return [
        tf.slice(x, [0, 1, 1, 0], [2, 4, 3, 3]),
        tf.slice(x, [1, 0, 0, 1], [1, 6, 5, 1]),
        tf.slice(x, [1, 5, 4, 2], [1, 1, 1, 1]),
        tf.slice(randn(r(), [7]), [2], [4]),
      ];
    }));
  test("PadV2: zero padding of images, constant padding of a vector", () =>
    check("PadV2", ["PadV2"], () => [
      tf.pad(randn(r(), [2, 4, 3, 5]), [
        [0, 0],
        [3, 3],
        [1, 2],
        [0, 0],
      ]),
      tf.pad(randn(r(), [3]), [[2, 1]], 1.5),
    ]));
  test("SplitV and Unpack: LSTM gates and time steps", () =>
    check("SplitV", ["SplitV", "Unpack"], () => [
      ...tf.split(randn(r(), [4, 16]), 4, 1),
      ...tf.split(randn(r(), [3, 5, 6]), [1, 3, 1], 1),
      ...tf.unstack(randn(r(), [4, 5, 3]), 1),
      ...tf.unstack(randn(r(), [3, 2]), 0),
    ]));
  test("Pack and Transpose (last axis kept last)", () =>
    check("Pack", ["Pack", "Transpose"], () => {
      const parts = [randn(r(), [4, 3]), randn(r(), [4, 3]), randn(r(), [4, 3])];
      return [
        tf.stack(parts, 1),
        tf.stack(parts, 0),
        tf.transpose(randn(r(), [4, 6, 3]), [1, 0, 2]),
        tf.transpose(randn(r(), [2, 3, 4, 5]), [2, 0, 1, 3]),
      ];
    }));
  test("Tile, Mean and Sum over any axes, UnsortedSegmentSum", () =>
    check("Tile", ["Tile", "Mean", "Sum", "UnsortedSegmentSum"], () => {
      const ids = tf.tensor1d([2, 0, 2, 1, 4, 2], "int32");
      return [
        tf.tile(randn(r(), [1, 1, 1, 4]), [2, 3, 2, 1]),
        tf.tile(randn(r(), [2, 3]), [2, 2]),
        tf.mean(randn(r(), [4, 3, 3, 5]), [0, 1, 2]),
        tf.mean(randn(r(), [4, 3, 5]), [1], true),
        tf.mean(randn(r(), [2, 5, 3, 4]), [1, 3], true),
        tf.sum(randn(r(), [2, 5, 3, 4]), [0, 2]),
        tf.sum(randn(r(), [3, 4, 5]), [0, 2], true),
        tf.unsortedSegmentSum(randn(r(), [6, 3]), ids, 5),
      ];
    }));
  test("FusedBatchNorm with and without scale and offset, and Square", () =>
    check("FusedBatchNorm", ["FusedBatchNorm", "Square"], () => {
      const x = randn(r(), [2, 3, 3, 4]);
      const mean = randn(r(), [4]);
      const variance = tf.abs(randn(r(), [4]));
      return [
        tf.batchNorm(x, mean, variance, randn(r(), [4]), randn(r(), [4]), 1e-5),
        tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3),
        tf.square(x),
      ];
    }));
  test("MaxPoolGrad 2x2 on relu'd input (ties go to the first maximum, as in the stock kernel)", () =>
    check("MaxPoolGrad ties", ["MaxPoolGrad"], () => {
      const x = tf.relu(randn(r(), [2, 9, 8, 6]));
      const w = randn(r(), [2, 4, 4, 6]);
      return [
        tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xi as tf.Tensor4D, 2, 2, "valid"), w)))(
          x,
        ),
      ];
    }));
  test("gradients through them match the stock backend", () =>
    check("grads", ["Slice", "PadV2"], () => {
      const x = randn(r(), [2, 4, 4, 3]);
      const w = randn(r(), [2, 6, 6, 3]);
      const g = tf.grad((xi: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.pad(xi, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]),
            w,
          ),
        ),
      );
      return [g(x)];
    }));
});
