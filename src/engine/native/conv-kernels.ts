/**
 * Native NHWC `Conv2D`, `FusedConv2D` (bias + linear/relu), `Conv2DBackpropInput` and
 * `Conv2DBackpropFilter`: every stride and padding ('same', 'valid', explicit); the forward pass also
 * takes dilations (tfjs has no dilated conv gradients). NCHW and other activations fall back.
 *
 * @module
 */

import type {
  backend_util,
  Conv2DAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  FusedConv2DAttrs,
  TensorInfo,
} from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
import { type CpuBackend, float32Values } from "./cpu-backend.js";
import {
  activationCode,
  type KernelArgs,
  type NativeKernelContext,
  type NativeKernelDefinition,
  sizeOf,
} from "./kernel-context.js";

/** Reused for every call in this thread: the addon reads it synchronously. */
const geometry = new Int32Array(15);

/**
 * Fills the 15-entry conv geometry the addon reads: batch, inH, inW, inC, kH, kW, outC, outH,
 * outW, strideH, strideW, padTop, padLeft, dilationH, dilationW. False when the addon cannot
 * take it (negative padding, dimensions beyond int32).
 */
export function fillConvGeometry(info: backend_util.Conv2DInfo, target: Int32Array): boolean {
  const values = [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) return false;
    target[i] = v;
  }
  return info.padInfo.bottom >= 0 && info.padInfo.right >= 0;
}

function isNhwc(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === "NHWC";
}

function convInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: {
    strides: [number, number] | number;
    pad: Conv2DAttrs["pad"];
    dimRoundingMode?: "floor" | "round" | "ceil";
  },
  dilations: [number, number] | number,
): backend_util.Conv2DInfo | null {
  if (inShape.length !== 4 || filterShape.length !== 4) return null;
  try {
    return tf.backend_util.computeConv2DInfo(
      inShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      attrs.strides,
      dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      "channelsLast",
    );
  } catch {
    return null; // the stock kernel raises the proper error
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function conv2dForward(
  args: KernelArgs,
  backend: CpuBackend,
  context: NativeKernelContext,
  fused: boolean,
): TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const attrs = args.attrs as unknown as FusedConv2DAttrs;
  if (x === undefined || filter === undefined || preluActivationWeights !== undefined) return null;
  if (!isNhwc(attrs.dataFormat)) return null;
  const activation = fused ? activationCode(attrs.activation) : 0;
  if (activation < 0) return null;
  const xValues = float32Values(backend, x);
  const wValues = float32Values(backend, filter);
  if (xValues === null || wValues === null) return null;
  const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations ?? 1);
  if (info === null || info.inChannels !== filter.shape[2]) return null;
  if (!fillConvGeometry(info, geometry)) return null;
  let biasValues: Float32Array | null = null;
  if (fused && bias !== undefined) {
    biasValues = float32Values(backend, bias);
    if (biasValues === null || biasValues.length !== info.outChannels) return null;
    if (bias.shape.length > 4) return null;
    if (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== info.outChannels)
      return null;
  }
  const out = context.pool.acquire(sizeOf(info.outShape));
  context.addon.conv2d(geometry, xValues, wValues, out, biasValues, activation);
  return backend.makeTensorInfo(info.outShape, "float32", out);
}

function conv2dBackpropInput(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  if (dy === undefined || filter === undefined || !isNhwc(attrs.dataFormat)) return null;
  const dyValues = float32Values(backend, dy);
  const wValues = float32Values(backend, filter);
  if (dyValues === null || wValues === null) return null;
  const info = convInfo(attrs.inputShape, filter.shape, attrs, 1);
  if (info === null || !sameShape(info.outShape, dy.shape)) return null;
  if (!fillConvGeometry(info, geometry)) return null;
  const out = context.pool.acquire(sizeOf(info.inShape));
  context.addon.conv2dBackpropInput(geometry, dyValues, wValues, out);
  return backend.makeTensorInfo([...info.inShape], "float32", out);
}

function conv2dBackpropFilter(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x, dy } = args.inputs;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (x === undefined || dy === undefined || !isNhwc(attrs.dataFormat)) return null;
  const xValues = float32Values(backend, x);
  const dyValues = float32Values(backend, dy);
  if (xValues === null || dyValues === null) return null;
  const info = convInfo(x.shape, attrs.filterShape, attrs, 1);
  if (info === null || !sameShape(info.outShape, dy.shape)) return null;
  if (!fillConvGeometry(info, geometry)) return null;
  const out = context.pool.acquire(sizeOf(info.filterShape));
  context.addon.conv2dBackpropFilter(geometry, xValues, dyValues, out);
  return backend.makeTensorInfo([...info.filterShape], "float32", out);
}

/** The conv overrides. */
export const CONV_KERNELS: readonly NativeKernelDefinition[] = [
  { kernelName: "Conv2D", attempt: (args, b, c) => conv2dForward(args, b, c, false) },
  { kernelName: "FusedConv2D", attempt: (args, b, c) => conv2dForward(args, b, c, true) },
  { kernelName: "Conv2DBackpropInput", attempt: conv2dBackpropInput },
  { kernelName: "Conv2DBackpropFilter", attempt: conv2dBackpropFilter },
];
