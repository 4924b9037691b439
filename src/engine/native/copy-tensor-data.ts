/**
 * Copying a tensor's values out without pinning its buffer.
 *
 * `tensor.dataSync()` on the cpu backend returns the backend's own array, so the native engine
 * must assume the caller keeps it and never reuses that buffer (nor updates it in place). Code
 * that only copies the values (flattening parameters or gradients for an upload) can use this
 * instead and keep buffer reuse and the in-place SGD step working.
 *
 * @module
 */

import type { Tensor } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { tf } from "../tfjs.js";
import { float32Values, isCpuBackend } from "./cpu-backend.js";

/**
 * Copies the values of a float32 tensor into `target` at `offset` and returns `target`. On the
 * cpu backend it reads the backend's storage directly; elsewhere it falls back to `dataSync()`.
 *
 * @throws OptionsError when the tensor is not float32, is disposed, or does not fit.
 */
export function copyTensorData(tensor: Tensor, target: Float32Array, offset = 0): Float32Array {
  if (tensor.isDisposed) throw new OptionsError("tensor", "disposed", "a live tensor");
  if (tensor.dtype !== "float32") throw new OptionsError("tensor.dtype", tensor.dtype, '"float32"');
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + tensor.size > target.length)
    throw new OptionsError(
      "offset",
      offset,
      `an integer in [0, ${target.length - tensor.size}] (the tensor has ${tensor.size} values, the target ${target.length})`,
    );
  const backend = tf.engine().findBackend("cpu");
  if (isCpuBackend(backend) && backend.data.has(tensor.dataId)) {
    const values = float32Values(backend, tensor);
    if (values !== null && values.length === tensor.size) {
      target.set(values, offset);
      return target;
    }
  }
  target.set(tensor.dataSync() as Float32Array, offset);
  return target;
}
