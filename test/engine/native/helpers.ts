/**
 * Shared helpers of the native-engine tests: a loud check that the addon is built, seeded random
 * tensors, and a runner that evaluates the same computation on the stock cpu kernels and on the
 * native ones.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  installNativeKernels,
  nativeEngineStatus,
  nativeKernelStats,
  resetNativeKernelStats,
  uninstallNativeKernels,
} from "../../../src/engine/native/index.js";
import type { Rng } from "../../../src/reproducibility/index.js";

/**
 * Fails (never skips) when the addon is not built: CI installs libopenblas-dev, so a missing
 * addon there is a real failure.
 */
export function requireNativeAddon(): void {
  const status = nativeEngineStatus();
  assert.ok(
    status.available,
    `The native addon is not available (${status.reason ?? "?"}; path ${status.path ?? "?"}). Build it with \`node scripts/build-native.mjs\` (needs g++ and libopenblas-dev). These tests do not skip.`,
  );
}

/** A tensor of standard normal values from `rng`. */
export function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal();
  return tf.tensor(values, shape, "float32");
}

/**
 * max |got - ref| / max |ref| over the finite values (the scale is floored at 1e-6); NaN and
 * infinities must match exactly.
 */
export function relativeError(ref: Float32Array, got: Float32Array): number {
  assert.equal(got.length, ref.length, "length mismatch");
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const g = got[i]!;
    if (Number.isNaN(r) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(r) && Number.isNaN(g), `NaN mismatch at ${i}`);
      continue;
    }
    if (!Number.isFinite(r) || !Number.isFinite(g)) {
      assert.equal(g, r, `infinity mismatch at ${i}`);
      continue;
    }
    diff = Math.max(diff, Math.abs(r - g));
    scale = Math.max(scale, Math.abs(r));
  }
  return diff / scale;
}

/** One output: shape and a copy of its values. */
export interface Captured {
  readonly shape: number[];
  readonly values: Float32Array;
}

function capture(fn: () => tf.Tensor[]): Captured[] {
  return tf.tidy(() =>
    fn().map((t) => ({ shape: [...t.shape], values: Float32Array.from(t.dataSync()) })),
  );
}

/**
 * Runs `fn` on the stock cpu kernels, then on the native ones, and returns both captures plus
 * the native/fallback call counts of the native run. `fn` must build its inputs itself (from a
 * seed), so both runs see the same values.
 */
export async function stockVersusNative(fn: () => tf.Tensor[]): Promise<{
  stock: Captured[];
  native: Captured[];
  calls: Record<string, { native: number; fallback: number }>;
}> {
  const stock = await runStock(fn);
  return { stock, ...(await runNative(fn)) };
}

/** Runs `fn` on the stock cpu kernels. */
export async function runStock(fn: () => tf.Tensor[]): Promise<Captured[]> {
  uninstallNativeKernels();
  await tf.setBackend("cpu");
  return capture(fn);
}

/** Runs `fn` on the native kernels; also returns the call counts of this run. */
export async function runNative(fn: () => tf.Tensor[]): Promise<{
  native: Captured[];
  calls: Record<string, { native: number; fallback: number }>;
}> {
  await installNativeKernels();
  resetNativeKernelStats();
  const native = capture(fn);
  return { native, calls: { ...nativeKernelStats().kernels } };
}

/** Asserts the two captures agree in shape and within `tolerance` relative error. */
export function assertClose(
  stock: Captured[],
  native: Captured[],
  label: string,
  tolerance = 1e-5,
): void {
  assert.equal(native.length, stock.length, `${label}: output count`);
  for (let i = 0; i < stock.length; i++) {
    assert.deepEqual(native[i]!.shape, stock[i]!.shape, `${label}: shape of output ${i}`);
    const err = relativeError(stock[i]!.values, native[i]!.values);
    assert.ok(err <= tolerance, `${label}: output ${i} relative error ${err} > ${tolerance}`);
  }
}

/** Asserts that `kernel` ran natively at least once and never fell back. */
export function assertNative(
  calls: Record<string, { native: number; fallback: number }>,
  kernel: string,
  label: string,
): void {
  const c = calls[kernel];
  assert.ok(c !== undefined && c.native > 0, `${label}: ${kernel} did not run natively`);
  assert.equal(c.fallback, 0, `${label}: ${kernel} fell back ${c.fallback} times`);
}
