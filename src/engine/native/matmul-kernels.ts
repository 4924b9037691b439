/**
 * Native `BatchMatMul` and `_FusedMatMul` (bias + linear/relu epilogue) over OpenBLAS sgemm.
 *
 * @module
 */

import type { _FusedMatMulAttrs, BatchMatMulAttrs, TensorInfo } from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
import { type CpuBackend, float32Values } from "./cpu-backend.js";
import {
  activationCode,
  type KernelArgs,
  type NativeKernelContext,
  type NativeKernelDefinition,
  sizeOf,
} from "./kernel-context.js";

function matMul(
  backend: CpuBackend,
  context: NativeKernelContext,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: TensorInfo | undefined,
  activation: number,
): TensorInfo | null {
  const aValues = float32Values(backend, a);
  const bValues = float32Values(backend, b);
  if (aValues === null || bValues === null) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return null; // the stock kernel raises the proper error
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  const batch = Math.max(batchA, batchB);
  // Only "same batch" or "one side broadcast" map to a constant stride.
  if (sizeOf(outer) !== batch || (batchA !== batch && batchA !== 1)) return null;
  if (batchB !== batch && batchB !== 1) return null;
  let biasValues: Float32Array | null = null;
  if (bias !== undefined) {
    biasValues = float32Values(backend, bias);
    if (biasValues === null || biasValues.length !== n) return null;
    if (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== n) return null;
    if (bias.shape.length > outer.length + 2) return null; // would add output dimensions
  }
  const out = context.pool.acquire(batch * m * n);
  context.addon.matMul(
    transposeA,
    transposeB,
    batch,
    m,
    n,
    k,
    aValues,
    batchA === 1 ? 0 : m * k,
    bValues,
    batchB === 1 ? 0 : k * n,
    out,
    biasValues,
    activation,
  );
  return backend.makeTensorInfo([...outer, m, n], "float32", out);
}

function batchMatMul(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { a, b } = args.inputs;
  const attrs = args.attrs as unknown as BatchMatMulAttrs | undefined;
  if (a === undefined || b === undefined) return null;
  return matMul(
    backend,
    context,
    a,
    b,
    attrs?.transposeA === true,
    attrs?.transposeB === true,
    undefined,
    0,
  );
}

function fusedMatMul(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const attrs = args.attrs as unknown as _FusedMatMulAttrs | undefined;
  if (a === undefined || b === undefined || preluActivationWeights !== undefined) return null;
  const activation = activationCode(attrs?.activation);
  if (activation < 0) return null;
  return matMul(
    backend,
    context,
    a,
    b,
    attrs?.transposeA === true,
    attrs?.transposeB === true,
    bias,
    activation,
  );
}

/** The matmul overrides. */
export const MATMUL_KERNELS: readonly NativeKernelDefinition[] = [
  { kernelName: "BatchMatMul", attempt: batchMatMul },
  { kernelName: "_FusedMatMul", attempt: fusedMatMul },
];
