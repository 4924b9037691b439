/**
 * Native float32 `Add`, `Sub`, `Multiply`, `RealDiv` (with broadcasting), `Relu`, `Step` and
 * `Sum` over one contiguous run of axes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fillBroadcastGeometry } from "./broadcast.js";
import { type CpuBackend, float32Values } from "./cpu-backend.js";
import {
  type KernelArgs,
  type NativeKernelContext,
  type NativeKernelDefinition,
  sizeOf,
} from "./kernel-context.js";

/** Reused for every call in this thread: the addon reads it synchronously. */
const geometry = new Int32Array(12);

/** Operation codes of the addon's `binary`. */
const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

function binary(op: number) {
  return (args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) => {
    const { a, b } = args.inputs;
    if (a === undefined || b === undefined) return null;
    const aValues = float32Values(backend, a);
    const bValues = float32Values(backend, b);
    if (aValues === null || bValues === null) return null;
    const outShape = fillBroadcastGeometry(a.shape, b.shape, geometry);
    if (outShape === null) return null;
    const out = context.pool.acquire(sizeOf(outShape));
    context.addon.binary(op, aValues, bValues, out, geometry);
    return backend.makeTensorInfo(outShape, "float32", out);
  };
}

function unary(op: number) {
  return (args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) => {
    const { x } = args.inputs;
    if (x === undefined) return null;
    const xValues = float32Values(backend, x);
    if (xValues === null) return null;
    const alpha = args.attrs?.alpha;
    const out = context.pool.acquire(xValues.length);
    context.addon.unary(op, xValues, out, typeof alpha === "number" ? alpha : 0);
    return backend.makeTensorInfo([...x.shape], "float32", out);
  };
}

function sum(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length === 0) return null;
  const xValues = float32Values(backend, x);
  if (xValues === null) return null;
  const attrs = args.attrs as unknown as tf.SumAttrs;
  let axes: number[];
  try {
    axes = [...new Set(tf.util.parseAxisParam(attrs.axis, x.shape))].sort((p, q) => p - q);
  } catch {
    return null; // the stock kernel raises the proper error
  }
  if (axes.length === 0) return null;
  const first = axes[0]!;
  if (!axes.every((axis, i) => axis === first + i)) return null; // not one contiguous run
  const last = axes[axes.length - 1]!;
  const outer = sizeOf(x.shape.slice(0, first));
  const mid = sizeOf(x.shape.slice(first, last + 1));
  const inner = sizeOf(x.shape.slice(last + 1));
  const outShape = attrs.keepDims
    ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : x.shape.filter((_, i) => i < first || i > last);
  const out = context.pool.acquire(outer * inner);
  context.addon.reduceSum(xValues, out, outer, mid, inner);
  return backend.makeTensorInfo(outShape, "float32", out);
}

/** The elementwise and reduction overrides. */
export const ELEMENTWISE_KERNELS: readonly NativeKernelDefinition[] = [
  { kernelName: "Add", attempt: binary(BINARY_OPS.Add) },
  { kernelName: "Sub", attempt: binary(BINARY_OPS.Sub) },
  { kernelName: "Multiply", attempt: binary(BINARY_OPS.Multiply) },
  { kernelName: "RealDiv", attempt: binary(BINARY_OPS.RealDiv) },
  { kernelName: "Relu", attempt: unary(0) },
  { kernelName: "Step", attempt: unary(1) },
  { kernelName: "Sum", attempt: sum },
];
