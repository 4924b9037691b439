/**
 * Native NHWC `MaxPool` and `MaxPoolGrad` (any window, stride and padding, no dilation).
 *
 * @module
 */

import type { backend_util, MaxPoolAttrs, MaxPoolGradAttrs } from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
import { type CpuBackend, float32Values } from "./cpu-backend.js";
import {
  type KernelArgs,
  type NativeKernelContext,
  type NativeKernelDefinition,
  sizeOf,
} from "./kernel-context.js";

/** Reused for every call in this thread: the addon reads it synchronously. */
const geometry = new Int32Array(12);

/**
 * Fills the 12-entry pool geometry the addon reads: batch, inH, inW, channels, kH, kW, outH,
 * outW, strideH, strideW, padTop, padLeft. False when the addon cannot take it.
 */
export function fillPoolGeometry(info: backend_util.Conv2DInfo, target: Int32Array): boolean {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return false;
  const values = [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) return false;
    target[i] = v;
  }
  return true;
}

function poolInfo(shape: readonly number[], attrs: MaxPoolAttrs) {
  if (shape.length !== 4) return null;
  try {
    return tf.backend_util.computePool2DInfo(
      shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
  } catch {
    return null; // the stock kernel raises the proper error
  }
}

function maxPool(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined) return null;
  const xValues = float32Values(backend, x);
  if (xValues === null) return null;
  const info = poolInfo(x.shape, args.attrs as unknown as MaxPoolAttrs);
  if (info === null || !fillPoolGeometry(info, geometry)) return null;
  // A 1x1 window over the same shape is an identity: the stock kernel shares the buffer.
  if (info.filterHeight === 1 && info.filterWidth === 1 && sizeOf(info.outShape) === xValues.length)
    return null;
  const out = context.pool.acquire(sizeOf(info.outShape));
  context.addon.maxPool(geometry, xValues, out);
  return backend.makeTensorInfo(info.outShape, "float32", out);
}

function maxPoolGrad(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { dy, input } = args.inputs;
  if (dy === undefined || input === undefined) return null;
  const dyValues = float32Values(backend, dy);
  const xValues = float32Values(backend, input);
  if (dyValues === null || xValues === null) return null;
  const info = poolInfo(input.shape, args.attrs as unknown as MaxPoolGradAttrs);
  if (info === null || !fillPoolGeometry(info, geometry)) return null;
  if (sizeOf(info.outShape) !== dyValues.length) return null;
  const out = context.pool.acquire(xValues.length);
  context.addon.maxPoolGrad(geometry, dyValues, xValues, out);
  return backend.makeTensorInfo([...input.shape], "float32", out);
}

/** The pooling overrides. */
export const POOL_KERNELS: readonly NativeKernelDefinition[] = [
  { kernelName: "MaxPool", attempt: maxPool },
  { kernelName: "MaxPoolGrad", attempt: maxPoolGrad },
];
