/**
 * Float32 `Slice`, `PadV2`, `SplitV`, `Unpack`, `Pack`, `Transpose` (keeping the last axis last),
 * `Tile`, `UnsortedSegmentSum` and `Mean` (over any axes) for the native
 * engine. They move memory rather than compute, yet tfjs's cpu kernels do it one element at a
 * time through index arithmetic: on ResNet-18 the gradient of zero padding (a `Slice`) and batch
 * norm's `Mean` took two thirds of a step, and the LSTM's gate `SplitV`, its time-major
 * `Transpose`/`Pack` and its embedding gradient (`UnsortedSegmentSum`) most of its step. Here
 * every contiguous run is one `TypedArray.set`.
 *
 * @module
 */

import type {
  MeanAttrs,
  PackAttrs,
  PadV2Attrs,
  SliceAttrs,
  SplitVAttrs,
  Tensor,
  TensorInfo,
  TileAttrs,
  TransposeAttrs,
  UnpackAttrs,
  UnsortedSegmentSumAttrs,
} from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
import { type CpuBackend, float32Values } from "./cpu-backend.js";
import { reduceSumAxes, reductionAxes } from "./elementwise-kernels.js";
import {
  type KernelArgs,
  type NativeKernelContext,
  type NativeKernelDefinition,
  sizeOf,
} from "./kernel-context.js";

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d] as number;
  }
  return s;
}

/**
 * Copies the box `extent` at `srcBegin` of `src` (shape `srcShape`) to `dstBegin` of `dst`
 * (shape `dstShape`). Trailing axes the box covers whole in both are merged into one run.
 */
export function copyRegion(
  src: Float32Array,
  srcShape: readonly number[],
  srcBegin: readonly number[],
  dst: Float32Array,
  dstShape: readonly number[],
  dstBegin: readonly number[],
  extent: readonly number[],
): void {
  const rank = extent.length;
  if (rank === 0) {
    dst[0] = src[0] as number;
    return;
  }
  if (sizeOf(extent) === 0) return;
  let k = rank - 1;
  while (k > 0 && extent[k] === srcShape[k] && extent[k] === dstShape[k]) k--;
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  const run = sizeOf(extent.slice(k));
  let srcBase = (srcBegin[k] as number) * (ss[k] as number);
  let dstBase = (dstBegin[k] as number) * (ds[k] as number);
  for (let d = 0; d < k; d++) {
    srcBase += (srcBegin[d] as number) * (ss[d] as number);
    dstBase += (dstBegin[d] as number) * (ds[d] as number);
  }
  if (k === 0) {
    dst.set(src.subarray(srcBase, srcBase + run), dstBase);
    return;
  }
  // Odometer over the axes before k.
  const index = new Array<number>(k).fill(0);
  let s = srcBase;
  let t = dstBase;
  for (;;) {
    dst.set(src.subarray(s, s + run), t);
    let d = k - 1;
    for (; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      s += ss[d] as number;
      t += ds[d] as number;
      if ((index[d] as number) < (extent[d] as number)) break;
      s -= (extent[d] as number) * (ss[d] as number);
      t -= (extent[d] as number) * (ds[d] as number);
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

function slice(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length === 0) return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const attrs = args.attrs as unknown as SliceAttrs;
  let begin: number[];
  let size: number[];
  try {
    const parsed = tf.slice_util.parseSliceParams(x as Tensor, attrs.begin, attrs.size);
    begin = parsed[0] as number[];
    size = parsed[1] as number[];
    tf.slice_util.assertParamsValid(x as Tensor, begin, size);
  } catch {
    return null; // the stock kernel raises the proper error
  }
  const out = context.pool.acquire(sizeOf(size));
  copyRegion(values, x.shape, begin, out, size, new Array(size.length).fill(0), size);
  return backend.makeTensorInfo(size, "float32", out);
}

function padV2(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length === 0) return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
  if (!Array.isArray(paddings) || paddings.length !== x.shape.length) return null;
  const outShape = x.shape.map((d, i) => d + (paddings[i]?.[0] ?? 0) + (paddings[i]?.[1] ?? 0));
  const out = context.pool.acquire(sizeOf(outShape));
  out.fill(constantValue ?? 0);
  copyRegion(
    values,
    x.shape,
    new Array(x.shape.length).fill(0),
    out,
    outShape,
    paddings.map((p) => p[0]),
    x.shape,
  );
  return backend.makeTensorInfo(outShape, "float32", out);
}

function splitAlong(
  values: Float32Array,
  shape: readonly number[],
  axis: number,
  sizes: readonly number[],
  backend: CpuBackend,
  context: NativeKernelContext,
  squeeze: boolean,
): TensorInfo[] {
  const begin = new Array<number>(shape.length).fill(0);
  const zeros = new Array<number>(shape.length).fill(0);
  const outs: TensorInfo[] = [];
  for (const size of sizes) {
    const extent = shape.map((d, i) => (i === axis ? size : d));
    const out = context.pool.acquire(sizeOf(extent));
    copyRegion(values, shape, begin, out, extent, zeros, extent);
    const outShape = squeeze ? extent.filter((_, i) => i !== axis) : extent;
    outs.push(backend.makeTensorInfo(outShape, "float32", out));
    begin[axis] = (begin[axis] as number) + size;
  }
  return outs;
}

function splitV(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length === 0) return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
  let dim: number;
  let sizes: number[];
  try {
    dim = tf.util.parseAxisParam(axis, x.shape)[0] as number;
    sizes = tf.backend_util.prepareSplitSize(x as Tensor, numOrSizeSplits, dim);
  } catch {
    return null;
  }
  return splitAlong(values, x.shape, dim, sizes, backend, context, false);
}

function unpack(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { value } = args.inputs;
  if (value === undefined || value.shape.length === 0) return null;
  const values = float32Values(backend, value);
  if (values === null) return null;
  let { axis } = args.attrs as unknown as UnpackAttrs;
  if (axis < 0) axis += value.shape.length;
  if (axis < 0 || axis >= value.shape.length) return null;
  const n = value.shape[axis] as number;
  return splitAlong(values, value.shape, axis, new Array(n).fill(1), backend, context, true);
}

function tile(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length === 0) return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const { reps } = args.attrs as unknown as TileAttrs;
  if (!Array.isArray(reps) || reps.length !== x.shape.length) return null;
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((d, i) => d * (reps[i] as number));
  const out = context.pool.acquire(sizeOf(outShape));
  if (out.length === 0) return backend.makeTensorInfo(outShape, "float32", out);
  const last = shape[rank - 1] as number;
  const lastReps = reps[rank - 1] as number;
  if (values.length === last) {
    // One row repeated (a broadcast gradient): write it once, then double what is written.
    for (let k = 0; k < lastReps; k++) out.set(values, k * last);
    for (let filled = last * lastReps; filled < out.length; filled *= 2)
      out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
    return backend.makeTensorInfo(outShape, "float32", out);
  }
  const rows = sizeOf(outShape.slice(0, -1));
  const ss = stridesOf(shape);
  const index = new Array<number>(rank - 1).fill(0);
  let t = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let d = 0; d < rank - 1; d++)
      s += ((index[d] as number) % (shape[d] as number)) * (ss[d] as number);
    const row = values.subarray(s, s + last);
    for (let k = 0; k < lastReps; k++, t += last) out.set(row, t);
    for (let d = rank - 2; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (outShape[d] as number)) break;
      index[d] = 0;
    }
  }
  return backend.makeTensorInfo(outShape, "float32", out);
}

function mean(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length === 0) return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const attrs = args.attrs as unknown as MeanAttrs;
  const axes = reductionAxes(attrs.axis, x.shape);
  if (axes === null) return null;
  const count = sizeOf(axes.map((a) => x.shape[a] as number));
  if (count === 0) return null;
  const outShape = attrs.keepDims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  const out = context.pool.acquire(sizeOf(outShape));
  reduceSumAxes(values, x.shape, axes, out, context);
  const scale = 1 / count;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  return backend.makeTensorInfo(outShape, "float32", out);
}

function pack(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const list = Object.values(args.inputs) as TensorInfo[];
  const first = list[0];
  if (first === undefined) return null;
  const shape = first.shape;
  let { axis } = args.attrs as unknown as PackAttrs;
  if (axis < 0) axis += shape.length + 1;
  if (axis < 0 || axis > shape.length) return null;
  const values: Float32Array[] = [];
  for (const t of list) {
    const v = float32Values(backend, t);
    if (v === null || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      return null;
    values.push(v);
  }
  const outShape = [...shape.slice(0, axis), list.length, ...shape.slice(axis)];
  const out = context.pool.acquire(sizeOf(outShape));
  const extent = outShape.map((d, i) => (i === axis ? 1 : d));
  const zeros = new Array<number>(outShape.length).fill(0);
  const begin = [...zeros];
  for (const v of values) {
    copyRegion(v, extent, zeros, out, outShape, begin, extent);
    begin[axis] = (begin[axis] as number) + 1;
  }
  return backend.makeTensorInfo(outShape, "float32", out);
}

function transpose(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x } = args.inputs;
  if (x === undefined || x.shape.length < 2) return null;
  const values = float32Values(backend, x);
  if (values === null) return null;
  const { perm } = args.attrs as unknown as TransposeAttrs;
  const rank = x.shape.length;
  // Rows along the last axis stay contiguous only when it stays last.
  if (!Array.isArray(perm) || perm.length !== rank || perm[rank - 1] !== rank - 1) return null;
  const outShape = perm.map((p) => x.shape[p] as number);
  const out = context.pool.acquire(values.length);
  const row = x.shape[rank - 1] as number;
  const ss = stridesOf(x.shape);
  const rows = values.length / Math.max(1, row);
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0, t = 0; r < rows; r++, t += row) {
    let s = 0;
    for (let d = 0; d < rank - 1; d++)
      s += (index[d] as number) * (ss[perm[d] as number] as number);
    out.set(values.subarray(s, s + row), t);
    for (let d = rank - 2; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (outShape[d] as number)) break;
      index[d] = 0;
    }
  }
  return backend.makeTensorInfo(outShape, "float32", out);
}

function unsortedSegmentSum(args: KernelArgs, backend: CpuBackend, context: NativeKernelContext) {
  const { x, segmentIds } = args.inputs;
  if (x === undefined || segmentIds === undefined || x.shape.length === 0) return null;
  const values = float32Values(backend, x);
  const ids = backend.data.get(segmentIds.dataId).values;
  if (values === null || !(ids instanceof Int32Array)) return null;
  const { numSegments } = args.attrs as unknown as UnsortedSegmentSumAttrs;
  const n = x.shape[0] as number;
  if (segmentIds.shape.length !== 1 || ids.length !== n) return null;
  const row = sizeOf(x.shape.slice(1));
  const outShape = [numSegments, ...x.shape.slice(1)];
  const out = context.pool.acquire(numSegments * row);
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const id = ids[i] as number;
    if (id < 0 || id >= numSegments) continue; // tfjs drops out-of-range ids too
    const src = i * row;
    const dst = id * row;
    for (let j = 0; j < row; j++)
      out[dst + j] = (out[dst + j] as number) + (values[src + j] as number);
  }
  return backend.makeTensorInfo(outShape, "float32", out);
}

/** The layout overrides. */
export const LAYOUT_KERNELS: readonly NativeKernelDefinition[] = [
  { kernelName: "Slice", attempt: slice },
  { kernelName: "PadV2", attempt: padV2 },
  { kernelName: "SplitV", attempt: splitV },
  { kernelName: "Unpack", attempt: unpack },
  { kernelName: "Pack", attempt: pack },
  { kernelName: "Transpose", attempt: transpose },
  { kernelName: "UnsortedSegmentSum", attempt: unsortedSegmentSum },
  { kernelName: "Tile", attempt: tile },
  { kernelName: "Mean", attempt: mean },
];
