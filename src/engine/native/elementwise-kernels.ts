/**
 * Native float32 `Add`, `Sub`, `Multiply`, `RealDiv` (with broadcasting), `Relu`, `Step` and
 * `Sum` (over any axes, one contiguous run at a time).
 *
 * @module
 */

import type { SumAttrs } from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
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

/**
 * Sums `values` (of `shape`) over `axes` (sorted, distinct) into `out`, one contiguous run of
 * axes at a time from the last run to the first (the addon sums each run in float64); runs
 * before the last go through temporaries.
 */
export function reduceSumAxes(
  values: Float32Array,
  shape: readonly number[],
  axes: readonly number[],
  out: Float32Array,
  context: NativeKernelContext,
): void {
  const runs: [number, number][] = [];
  for (const axis of axes) {
    const last = runs.at(-1);
    if (last !== undefined && last[1] === axis - 1) last[1] = axis;
    else runs.push([axis, axis]);
  }
  let current = values;
  let dims = [...shape];
  for (let r = runs.length - 1; r >= 0; r--) {
    const [first, last] = runs[r] as [number, number];
    const outer = sizeOf(dims.slice(0, first));
    const mid = sizeOf(dims.slice(first, last + 1));
    const inner = sizeOf(dims.slice(last + 1));
    const target = r === 0 ? out : new Float32Array(outer * inner);
    context.addon.reduceSum(current, target, outer, mid, inner);
    current = target;
    dims = dims.map((d, i) => (i >= first && i <= last ? 1 : d));
  }
}

/** The sorted, distinct axes of a reduction, or null when tfjs would reject them. */
export function reductionAxes(axis: unknown, shape: readonly number[]): number[] | null {
  try {
    const axes = [...new Set(tf.util.parseAxisParam(axis as number | number[], [...shape]))].sort(
      (p, q) => p - q,
    );
    return axes.length === 0 ? null : axes;
  } catch {
    return null; // the stock kernel raises the proper error
  }
}

function sum(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length === 0) return null;
  const xValues = float32Values(backend, x);
  if (xValues === null) return null;
  const attrs = args.attrs as unknown as SumAttrs;
  const axes = reductionAxes(attrs.axis, x.shape);
  if (axes === null) return null;
  const outShape = attrs.keepDims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  const out = context.pool.acquire(sizeOf(outShape));
  reduceSumAxes(xValues, x.shape, axes, out, context);
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
