/** Helpers for the kernel tests: run the same computation on two backends and compare. */
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../src/engine/init-engine.js";
import type { Rng } from "../../src/reproducibility/rng.js";

/** Uniform values in [-1, 1). */
export function randomValues(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rng.nextFloat() - 1;
  return out;
}

/** The values `fn` computes on the wasm engine and on the cpu-reference engine. */
export async function onBothBackends(
  fn: () => tf.Tensor,
): Promise<{ wasm: Float32Array; reference: Float32Array; shape: number[] }> {
  await initEngine("cpu-wasm");
  const wasm = tf.tidy(() => fn().dataSync() as Float32Array).slice();
  await initEngine("cpu-reference");
  const r = tf.tidy(() => {
    const t = fn();
    return { values: (t.dataSync() as Float32Array).slice(), shape: t.shape };
  });
  await initEngine("cpu-wasm");
  return { wasm, reference: r.values, shape: r.shape };
}

/** max |a - b| / max |b| (or the absolute error when b is all zeros). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  if (Number.isNaN(num)) return Number.POSITIVE_INFINITY;
  return den === 0 ? num : num / den;
}

/**
 * Checks `analytic`, the gradient of `f` at `values`, against central differences at `coords`.
 * Returns the largest error relative to the gradient's largest entry.
 */
export function finiteDifferenceError(
  f: (v: tf.Tensor) => tf.Scalar,
  values: Float32Array,
  shape: number[],
  analytic: Float32Array,
  coords: readonly number[],
  eps: number,
): number {
  let scale = 1e-6;
  for (const g of analytic) scale = Math.max(scale, Math.abs(g));
  let worst = 0;
  for (const i of coords) {
    const at = (delta: number) => {
      const v = values.slice();
      v[i] = (v[i] as number) + delta;
      return tf.tidy(() => f(tf.tensor(v, shape)).dataSync()[0] as number);
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    worst = Math.max(worst, Math.abs(fd - (analytic[i] as number)) / scale);
  }
  return worst;
}
