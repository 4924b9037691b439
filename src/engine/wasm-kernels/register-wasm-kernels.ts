/**
 * Installs BlazeFL's replacement gradient kernels into tfjs's kernel registry for the wasm
 * backend: `Conv2DBackpropFilter` (missing), `Conv2DBackpropInput` (naive), `BatchMatMul` /
 * `_FusedMatMul` with transposes (slow), `MaxPoolGrad` (slow), `Sum` over leading axes
 * (transposes first) and `UnsortedSegmentSum` (missing: the embedding gradient). See
 * `../../../shared/notes/engine-findings.md`.
 *
 * @module
 */

import type { KernelConfig, KernelFunc } from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
import { makeUntransposedMatMul } from "./batch-mat-mul.js";
import { makeConv2DBackpropFilter } from "./conv2d-backprop-filter.js";
import { makeConv2DBackpropInput } from "./conv2d-backprop-input.js";
import { captureWasmPrimitives, requireWasmKernel, WASM_BACKEND_NAME } from "./kernel-utils.js";
import { makeMaxPoolGrad } from "./max-pool-grad.js";
import { makeLeadingAxesSum } from "./sum.js";
import { makeUnsortedSegmentSum } from "./unsorted-segment-sum.js";

/** The kernels {@link registerWasmKernels} replaces or adds, by tfjs kernel name. */
export const WASM_REPLACED_KERNELS = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "_FusedMatMul",
  "MaxPoolGrad",
  "Sum",
  "UnsortedSegmentSum",
] as const;

/** The originals, kept so the kernels can be restored (tests compare with and without). */
const originals = new Map<string, KernelConfig | undefined>();

/** Whether BlazeFL's wasm kernels are installed in this thread's tfjs registry. */
export function wasmKernelsRegistered(): boolean {
  return originals.size > 0;
}

function replace(
  kernelName: string,
  original: KernelConfig | undefined,
  kernelFunc: KernelFunc,
): void {
  originals.set(kernelName, original);
  if (original !== undefined) tf.unregisterKernel(kernelName, WASM_BACKEND_NAME);
  // The original's setupFunc binds its wasm entry point; the replacement still calls it.
  const config: KernelConfig = { kernelName, backendName: WASM_BACKEND_NAME, kernelFunc };
  if (original?.setupFunc !== undefined) config.setupFunc = original.setupFunc;
  if (original?.disposeFunc !== undefined) config.disposeFunc = original.disposeFunc;
  tf.registerKernel(config);
}

/**
 * Registers the replacement kernels for the wasm backend. Idempotent: a second call does
 * nothing. Call it before or after the backend is initialised; `@tensorflow/tfjs-backend-wasm`
 * must be imported first (it registers the kernels these are built from).
 */
export function registerWasmKernels(): void {
  if (wasmKernelsRegistered()) return;
  const primitives = captureWasmPrimitives();
  const bmm = requireWasmKernel(tf.BatchMatMul);
  const fused = requireWasmKernel(tf._FusedMatMul);
  const bpi = tf.getKernel(tf.Conv2DBackpropInput, WASM_BACKEND_NAME);
  const bpf = tf.getKernel(tf.Conv2DBackpropFilter, WASM_BACKEND_NAME);
  replace(tf.Conv2DBackpropFilter, bpf, makeConv2DBackpropFilter(primitives));
  replace(tf.Conv2DBackpropInput, bpi, makeConv2DBackpropInput(primitives, bpi));
  replace(tf.BatchMatMul, bmm, makeUntransposedMatMul(primitives, bmm));
  replace(tf._FusedMatMul, fused, makeUntransposedMatMul(primitives, fused));
  const maxPoolGrad = requireWasmKernel(tf.MaxPoolGrad);
  replace(tf.MaxPoolGrad, maxPoolGrad, makeMaxPoolGrad(maxPoolGrad));
  const sum = requireWasmKernel(tf.Sum);
  replace(tf.Sum, sum, makeLeadingAxesSum(sum));
  replace(
    tf.UnsortedSegmentSum,
    tf.getKernel(tf.UnsortedSegmentSum, WASM_BACKEND_NAME),
    makeUnsortedSegmentSum(),
  );
}

/**
 * Puts the original kernels back (the wasm backend as shipped). For tests and benchmarks that
 * measure the difference; not needed in normal use.
 */
export function unregisterWasmKernels(): void {
  for (const [kernelName, original] of originals) {
    tf.unregisterKernel(kernelName, WASM_BACKEND_NAME);
    if (original !== undefined) tf.registerKernel(original);
  }
  originals.clear();
}
