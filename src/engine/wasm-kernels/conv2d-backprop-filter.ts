/**
 * `Conv2DBackpropFilter` for the wasm backend, which ships none (conv training throws without it).
 *
 * The filter gradient is itself a convolution: with `x` seen as a batch of its channels
 * (`[Ci, H, W, N]`) and `dy` as a filter (`[OH, OW, N, Co]`), a stride-1 convolution dilated by
 * the forward stride gives `[Ci, KH, KW, Co]`, one transpose away from the answer. That runs on
 * XNNPACK's convolution, the fastest kernel the backend has.
 *
 * @module
 */

import type { Conv2DBackpropFilterAttrs, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { EngineError } from "../errors.js";
import { tf } from "../tfjs.js";
import { convWithSignedPad, type WasmPrimitives } from "./kernel-utils.js";

/** Builds the kernel function from the captured primitives. */
export function makeConv2DBackpropFilter(
  primitives: (backend: BackendWasm) => WasmPrimitives,
): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (a.dataFormat === "NCHW")
      throw new EngineError(
        "Conv2DBackpropFilter on the wasm backend supports dataFormat 'NHWC' only (its Conv2D does too)",
      );
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      "channelsLast",
    );
    const [, h = 0, w = 0] = x.shape;
    const [, oh = 0, ow = 0] = dy.shape;
    if (oh !== info.outHeight || ow !== info.outWidth)
      throw new EngineError(
        `Conv2DBackpropFilter: dy is ${oh}x${ow} but the convolution gives ${info.outHeight}x${info.outWidth}`,
      );
    const p = primitives(backend as BackendWasm);
    const { top, left } = info.padInfo;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    // Rows below the last one the forward pass read are cropped (a negative bottom pad).
    const bottom = info.filterHeight - 1 + (oh - 1) * sh + 1 - h - top;
    const right = info.filterWidth - 1 + (ow - 1) * sw + 1 - w - left;
    const xt = p.transpose(x, [3, 1, 2, 0]);
    const dyt = p.transpose(dy, [1, 2, 0, 3]);
    try {
      const r = convWithSignedPad(p, xt, [top, bottom, left, right], (input, pad) =>
        p.conv2d(input, dyt, [1, 1], [sh, sw], pad),
      );
      try {
        return p.transpose(r, [1, 2, 0, 3]);
      } finally {
        p.dispose(r);
      }
    } finally {
      p.dispose(xt, dyt);
    }
  };
}
