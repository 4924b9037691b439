/**
 * Copying a tensor's values out without pinning its buffer, and in without a new one.
 *
 * `tensor.dataSync()` on the cpu backend returns the backend's own array, so the native engine
 * must assume the caller keeps it and never reuses that buffer (nor updates it in place). Code
 * that only copies the values (flattening parameters or gradients for an upload) can use this
 * instead and keep buffer reuse and the in-place SGD step working.
 *
 * @module
 */

import type { Tensor, TensorInfo, Variable } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { tf } from "../tfjs.js";
import { float32Values, isCpuBackend } from "./cpu-backend.js";
import { nativeKernelContext } from "./install.js";

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

/**
 * Overwrites a float32 variable's values with `source` in its own buffer, and returns whether it
 * did. A model that serves many clients in turn loads every client's starting point this way:
 * `assign(tf.tensor(...))` would allocate a fresh buffer per client (800 KB for the MLP), which
 * the in-place SGD step cannot use (it is not the pool's), so the first step of every client
 * would also allocate, and the garbage collector would run between clients.
 *
 * Done only under the in-place SGD step's conditions: the native kernels are installed, and the
 * variable's buffer is a native output that no other tensor shares and whose values were never
 * read out. Otherwise (false) the caller assigns a new tensor as before; the values are the same
 * either way.
 */
export function tryOverwriteInPlace(variable: Variable, source: Float32Array): boolean {
  if (variable.isDisposed) return false;
  const values = writableValues(variable);
  if (values === null || values.length !== source.length) return false;
  values.set(source);
  return true;
}

/**
 * The values of a float32 tensor that may be written in place, or null: the native kernels are
 * installed, and its buffer is a native output that no other tensor shares and whose values were
 * never read out. The in-place SGD step and {@link tryOverwriteInPlace} write only these.
 */
export function writableValues(
  t: TensorInfo,
  context: ReturnType<typeof nativeKernelContext> = nativeKernelContext(),
): Float32Array | null {
  if (context === undefined || t.dtype !== "float32") return null;
  const { backend, pool } = context;
  if (!backend.data.has(t.dataId) || backend.refCount(t.dataId) !== 1) return null;
  const values = float32Values(backend, t);
  return values !== null && pool.ownsExclusively(values) ? values : null;
}
