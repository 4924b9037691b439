/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it: it is the gradient of a gather,
 * so without it no model with an embedding layer (the character LSTM) can train on wasm.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { EngineError } from "../errors.js";

/** out[segmentIds[i], ...] += x[i, ...] for float32 `x` and int32 ids (out-of-range ids dropped, as tfjs's cpu kernel). */
export function makeUnsortedSegmentSum(): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { x, segmentIds } = args.inputs;
    const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
    if (x === undefined || segmentIds === undefined)
      throw new EngineError("UnsortedSegmentSum: missing x or segmentIds");
    if (x.dtype !== "float32" || segmentIds.dtype !== "int32")
      throw new EngineError(
        `UnsortedSegmentSum on wasm: float32 x and int32 ids only, got ${x.dtype} and ${segmentIds.dtype}`,
      );
    const n = x.shape[0] ?? 0;
    const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const out = backend.makeOutput([numSegments, ...x.shape.slice(1)], "float32");
    // Views after makeOutput: allocating may grow (and move) the heap.
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    const v = backend.typedArrayFromHeap(x) as Float32Array;
    const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
    o.fill(0);
    for (let i = 0; i < n; i++) {
      const id = ids[i] as number;
      if (id < 0 || id >= numSegments) continue;
      const src = i * row;
      const dst = id * row;
      for (let j = 0; j < row; j++) o[dst + j] = (o[dst + j] as number) + (v[src + j] as number);
    }
    return out;
  };
}
