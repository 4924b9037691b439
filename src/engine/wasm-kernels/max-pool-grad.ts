/**
 * `MaxPoolGrad` for the wasm backend, as a JavaScript loop over the wasm heap. The backend's own
 * kernel takes about 35 ms a call on the CNN's first pooling layer; this one a few.
 *
 * Semantics are tfjs's: in each window the first maximum in row-major order (strict `>`) gets
 * the window's gradient; padding never wins; gradients of overlapping windows add up, in the
 * order the cpu backend adds them.
 *
 * @module
 */

import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "../tfjs.js";

/** Builds the kernel function; non-float32 inputs go to the original kernel. */
export function makeMaxPoolGrad(original: KernelConfig): KernelFunc {
  return (args) => {
    const { inputs, backend: b, attrs } = args;
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    if (input.dtype !== "float32" || dy.dtype !== "float32") return original.kernelFunc(args);
    const a = attrs as unknown as MaxPoolGradAttrs;
    const backend = b as BackendWasm;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
    const fh = info.effectiveFilterHeight;
    const fw = info.effectiveFilterWidth;
    const out = backend.makeOutput([...input.shape], "float32");
    // Views after makeOutput: allocating may grow (and move) the heap.
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    const x = backend.typedArrayFromHeap(input) as Float32Array;
    const g = backend.typedArrayFromHeap(dy) as Float32Array;
    const pad = info.padInfo;
    if (
      fh === 2 &&
      fw === 2 &&
      info.strideHeight === 2 &&
      info.strideWidth === 2 &&
      pad.top === 0 &&
      pad.left === 0 &&
      outHeight * 2 <= inHeight &&
      outWidth * 2 <= inWidth
    ) {
      pool2x2Grad(x, g, dx, batchSize, inHeight, inWidth, c, outHeight, outWidth);
      return out;
    }
    dx.fill(0);
    const maxValue = new Float32Array(c);
    const maxIndex = new Int32Array(c);
    for (let n = 0; n < batchSize; n++)
      for (let oy = 0; oy < outHeight; oy++) {
        const rowStart = oy * info.strideHeight - info.padInfo.top;
        const r0 = Math.max(0, rowStart);
        const r1 = Math.min(inHeight, rowStart + fh);
        for (let ox = 0; ox < outWidth; ox++) {
          const colStart = ox * info.strideWidth - info.padInfo.left;
          const c0 = Math.max(0, colStart);
          const c1 = Math.min(inWidth, colStart + fw);
          maxValue.fill(Number.NEGATIVE_INFINITY);
          maxIndex.fill(-1);
          for (let r = r0; r < r1; r++)
            for (let col = c0; col < c1; col++) {
              const base = ((n * inHeight + r) * inWidth + col) * c;
              for (let d = 0; d < c; d++) {
                const v = x[base + d] as number;
                if (v > (maxValue[d] as number)) {
                  maxValue[d] = v;
                  maxIndex[d] = base + d;
                }
              }
            }
          const outBase = ((n * outHeight + oy) * outWidth + ox) * c;
          for (let d = 0; d < c; d++) {
            const at = maxIndex[d] as number;
            if (at >= 0) dx[at] = (dx[at] as number) + (g[outBase + d] as number);
          }
        }
      }
    return out;
  };
}

/**
 * The common case, 2x2 windows with stride 2 and no padding: every input is in at most one
 * window, so each window writes its four gradients directly.
 */
function pool2x2Grad(
  x: Float32Array,
  g: Float32Array,
  dx: Float32Array,
  batchSize: number,
  inHeight: number,
  inWidth: number,
  c: number,
  outHeight: number,
  outWidth: number,
): void {
  // Odd heights or widths leave a last row or column outside every window.
  if (outHeight * 2 !== inHeight || outWidth * 2 !== inWidth) dx.fill(0);
  const rowStride = inWidth * c;
  for (let n = 0; n < batchSize; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++) {
        const p00 = ((n * inHeight + 2 * oy) * inWidth + 2 * ox) * c;
        const p01 = p00 + c;
        const p10 = p00 + rowStride;
        const p11 = p10 + c;
        const o = ((n * outHeight + oy) * outWidth + ox) * c;
        for (let d = 0; d < c; d++) {
          const v00 = x[p00 + d] as number;
          const v01 = x[p01 + d] as number;
          const v10 = x[p10 + d] as number;
          const v11 = x[p11 + d] as number;
          // The first maximum in row-major order wins (strict >, from -Infinity).
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          if (v00 > best) {
            best = v00;
            at = 0;
          }
          if (v01 > best) {
            best = v01;
            at = 1;
          }
          if (v10 > best) {
            best = v10;
            at = 2;
          }
          if (v11 > best) at = 3;
          const grad = g[o + d] as number;
          dx[p00 + d] = at === 0 ? grad : 0;
          dx[p01 + d] = at === 1 ? grad : 0;
          dx[p10 + d] = at === 2 ? grad : 0;
          dx[p11 + d] = at === 3 ? grad : 0;
        }
      }
}
