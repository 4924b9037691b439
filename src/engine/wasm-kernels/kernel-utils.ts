/**
 * Helpers for composing wasm kernels from other wasm kernels. A composed kernel calls the other
 * kernels' functions directly (no engine, no tape), so it must free every intermediate it makes.
 *
 * @module
 */

import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { EngineError } from "../errors.js";
import { tf } from "../tfjs.js";

/** The tfjs name of the WebAssembly backend. */
export const WASM_BACKEND_NAME = "wasm";

/** The kernel functions the composed kernels build on, captured before any replacement. */
export interface WasmPrimitives {
  /** The backend the kernels run on. */
  readonly backend: BackendWasm;
  /** `Transpose`. */
  transpose(x: TensorInfo, perm: readonly number[]): TensorInfo;
  /** `Reshape`, sharing `x`'s data. */
  reshape(x: TensorInfo, shape: readonly number[]): TensorInfo;
  /** `Slice`. */
  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): TensorInfo;
  /** `PadV2` with zeros. */
  padZeros(x: TensorInfo, paddings: readonly (readonly [number, number])[]): TensorInfo;
  /** NHWC `Conv2D` (XNNPACK) with explicit, non-negative padding. */
  conv2d(
    x: TensorInfo,
    filter: TensorInfo,
    strides: readonly [number, number],
    dilations: readonly [number, number],
    pad: ExplicitPad,
  ): TensorInfo;
  /** Frees an intermediate result. */
  dispose(...infos: TensorInfo[]): void;
}

/** Explicit padding of the two spatial dimensions: `[top, bottom, left, right]`. */
export type ExplicitPad = readonly [number, number, number, number];

/** Looks up a kernel registered for the wasm backend, or throws an {@link EngineError}. */
export function requireWasmKernel(kernelName: string): KernelConfig {
  const config = tf.getKernel(kernelName, WASM_BACKEND_NAME);
  if (config === undefined)
    throw new EngineError(
      `The wasm backend has no '${kernelName}' kernel to build on; is @tensorflow/tfjs-backend-wasm 4.22.0 loaded?`,
    );
  return config;
}

/** Runs one kernel function that must return a single tensor. */
export function callKernel(
  config: KernelConfig,
  backend: BackendWasm,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out))
    throw new EngineError(`Kernel '${config.kernelName}' returned several tensors, expected one`);
  return out;
}

/** Captures the primitives the composed kernels need, from the kernels registered now. */
export function captureWasmPrimitives(): (backend: BackendWasm) => WasmPrimitives {
  const transposeK = requireWasmKernel(tf.Transpose);
  const reshapeK = requireWasmKernel(tf.Reshape);
  const sliceK = requireWasmKernel(tf.Slice);
  const padK = requireWasmKernel(tf.PadV2);
  const conv2dK = requireWasmKernel(tf.Conv2D);
  return (backend) => ({
    backend,
    transpose: (x, perm) => callKernel(transposeK, backend, { x }, { perm: [...perm] }),
    reshape: (x, shape) => callKernel(reshapeK, backend, { x }, { shape: [...shape] }),
    slice: (x, begin, size) =>
      callKernel(sliceK, backend, { x }, { begin: [...begin], size: [...size] }),
    padZeros: (x, paddings) =>
      callKernel(
        padK,
        backend,
        { x },
        { paddings: paddings.map((p) => [p[0], p[1]]), constantValue: 0 },
      ),
    conv2d: (x, filter, strides, dilations, pad) =>
      callKernel(
        conv2dK,
        backend,
        { x, filter },
        {
          strides: [strides[0], strides[1]],
          dilations: [dilations[0], dilations[1]],
          pad: [
            [0, 0],
            [pad[0], pad[1]],
            [pad[2], pad[3]],
            [0, 0],
          ],
          dataFormat: "NHWC",
        },
      ),
    dispose: (...infos) => {
      for (const info of infos) backend.disposeData(info.dataId);
    },
  });
}

/** The permutation that swaps the last two axes of a rank-`rank` tensor. */
export function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * Runs `conv` on `x` (NHWC) with the given spatial padding, where negative entries mean
 * "crop that many rows or columns first" (the convolution itself only takes pads >= 0).
 */
export function convWithSignedPad(
  p: WasmPrimitives,
  x: TensorInfo,
  pad: ExplicitPad,
  conv: (input: TensorInfo, pad: ExplicitPad) => TensorInfo,
): TensorInfo {
  const [top, bottom, left, right] = pad;
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return conv(x, pad);
  const [n = 0, h = 0, w = 0, c = 0] = x.shape;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const height = h - cropTop - Math.max(0, -bottom);
  const width = w - cropLeft - Math.max(0, -right);
  if (height <= 0 || width <= 0)
    throw new EngineError(`Cannot crop a ${h}x${w} input by padding ${pad.join(",")}`);
  const cropped = p.slice(x, [0, cropTop, cropLeft, 0], [n, height, width, c]);
  try {
    return conv(cropped, [
      Math.max(0, top),
      Math.max(0, bottom),
      Math.max(0, left),
      Math.max(0, right),
    ]);
  } finally {
    p.dispose(cropped);
  }
}
