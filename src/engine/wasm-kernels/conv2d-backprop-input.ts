/**
 * `Conv2DBackpropInput` for the wasm backend, whose own kernel is a naive loop (about 474 ms a
 * call on the CNN's second layer).
 *
 * The input gradient is a full convolution of `dy` with the filter flipped in space and with
 * its channel axes swapped. For stride `s > 1`, `dy` is first spread out with `s - 1` zeros
 * between its rows and columns (a reshape, a zero pad and a reshape). Everything runs on
 * XNNPACK's convolution. NCHW and non-float32 inputs fall back to the original kernel.
 *
 * @module
 */

import type {
  Conv2DBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { EngineError } from "../errors.js";
import { tf } from "../tfjs.js";
import { convWithSignedPad, type WasmPrimitives } from "./kernel-utils.js";

/** Builds the kernel function from the captured primitives and the original kernel. */
export function makeConv2DBackpropInput(
  primitives: (backend: BackendWasm) => WasmPrimitives,
  original: KernelConfig | undefined,
): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    if (a.dataFormat === "NCHW" || dy.dtype !== "float32" || filter.dtype !== "float32") {
      if (original === undefined)
        throw new EngineError("Conv2DBackpropInput: no original kernel for this case");
      return original.kernelFunc(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      "channelsLast",
    );
    const [n = 0, oh = 0, ow = 0, co = 0] = dy.shape;
    if (oh !== info.outHeight || ow !== info.outWidth)
      throw new EngineError(
        `Conv2DBackpropInput: dy is ${oh}x${ow} but the convolution gives ${info.outHeight}x${info.outWidth}`,
      );
    const p = primitives(backend as BackendWasm);
    const kh = info.filterHeight;
    const kw = info.filterWidth;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    const swapped = flipAndSwapChannels(backend as BackendWasm, filter);
    const toDispose: TensorInfo[] = [swapped];
    try {
      let spread = dy;
      if (sh > 1 || sw > 1) {
        // [N, OH, 1, OW, 1, Co] -> zero-pad to [N, OH, sh, OW, sw, Co] -> [N, OH*sh, OW*sw, Co].
        const r6 = p.reshape(dy, [n, oh, 1, ow, 1, co]);
        toDispose.push(r6);
        const padded = p.padZeros(r6, [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ]);
        toDispose.push(padded);
        spread = p.reshape(padded, [n, oh * sh, ow * sw, co]);
        toDispose.push(spread);
      }
      const spreadH = oh * sh;
      const spreadW = ow * sw;
      const top = kh - 1 - info.padInfo.top;
      const left = kw - 1 - info.padInfo.left;
      const bottom = info.inHeight + kh - 1 - spreadH - top;
      const right = info.inWidth + kw - 1 - spreadW - left;
      return convWithSignedPad(p, spread, [top, bottom, left, right], (input, pad) =>
        p.conv2d(input, swapped, [1, 1], [1, 1], pad),
      );
    } finally {
      p.dispose(...toDispose);
    }
  };
}

/**
 * `filter[kh, kw, ci, co]` -> `out[KH-1-kh, KW-1-kw, co, ci]` in one pass over the wasm heap
 * (the wasm Reverse and Transpose kernels take a few ms for this 51k-value filter).
 */
function flipAndSwapChannels(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [kh = 0, kw = 0, ci = 0, co = 0] = filter.shape;
  const out = backend.makeOutput([kh, kw, co, ci], "float32");
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(filter) as Float32Array;
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++) {
      const from = (h * kw + w) * ci * co;
      const to = ((kh - 1 - h) * kw + (kw - 1 - w)) * co * ci;
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) dst[to + o * ci + i] = src[from + i * co + o] as number;
    }
  return out;
}
