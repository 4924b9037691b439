/**
 * Native float32 `FusedBatchNorm` (channels-last statistics) and `Square`: tfjs's cpu kernels
 * index every element through broadcast arithmetic, which made batch norm's forward pass and its
 * variance's `Square` a tenth of a ResNet-18 step.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type CpuBackend, float32Values } from "./cpu-backend.js";
import type { KernelArgs, NativeKernelContext, NativeKernelDefinition } from "./kernel-context.js";

/** The values of a per-channel parameter of `channels` entries (shape [C] or [1, ..., 1, C]). */
function perChannel(
  backend: CpuBackend,
  t: tf.TensorInfo | undefined,
  channels: number,
): Float32Array | null | undefined {
  if (t === undefined) return undefined;
  if (t.shape.at(-1) !== channels || t.shape.slice(0, -1).some((d) => d !== 1)) return null;
  return float32Values(backend, t);
}

function fusedBatchNorm(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x, mean, variance, offset, scale } = args.inputs;
  if (x === undefined || mean === undefined || variance === undefined || x.shape.length === 0)
    return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const c = x.shape.at(-1) as number;
  const m = perChannel(backend, mean, c);
  const v = perChannel(backend, variance, c);
  const o = perChannel(backend, offset, c);
  const s = perChannel(backend, scale, c);
  if (!m || !v || o === null || s === null) return null;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  // out = offset + (x - mean) * (scale / sqrt(variance + eps)), per channel.
  const factor = new Float32Array(c);
  for (let k = 0; k < c; k++)
    factor[k] =
      (s === undefined ? 1 : (s[k] as number)) / Math.sqrt((v[k] as number) + varianceEpsilon);
  const out = context.pool.acquire(values.length);
  context.addon.channelAffine(values, m, factor, o ?? null, out);
  return backend.makeTensorInfo([...x.shape], "float32", out);
}

function square(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined) return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const out = context.pool.acquire(values.length);
  context.addon.unary(2, values, out, 0);
  return backend.makeTensorInfo([...x.shape], "float32", out);
}

/** The normalisation overrides. */
export const NORM_KERNELS: readonly NativeKernelDefinition[] = [
  { kernelName: "FusedBatchNorm", attempt: fusedBatchNorm },
  { kernelName: "Square", attempt: square },
];
