/**
 * The fused, in-place SGD step of the native engine: `w -= lr * g` in one pass over the
 * variable's own buffer, instead of a Multiply and a Sub kernel and a new tensor per variable.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { writableValues } from "./copy-tensor-data.js";
import { float32Values } from "./cpu-backend.js";
import { nativeKernelContext } from "./install.js";

/**
 * Applies `variable -= learningRate * gradient` in place when that is safe, and returns whether
 * it did. The result is bit-identical to `variable.assign(tf.sub(variable, tf.mul(gradient,
 * learningRate)))` on the cpu backend, which callers run when this returns false.
 *
 * It is safe, and done, only when the native kernels are installed, both tensors are float32
 * with the same shape and live in the cpu backend, and the variable's buffer is a native output
 * that no other tensor shares and whose values were never read out (`dataSync()` and friends).
 * So the first step after a variable is created or read out returns false; later ones do not.
 *
 * @throws OptionsError when `learningRate` is not a finite number.
 */
export function trySgdUpdateInPlace(
  variable: tf.Variable,
  gradient: tf.Tensor,
  learningRate: number,
): boolean {
  if (typeof learningRate !== "number" || !Number.isFinite(learningRate))
    throw new OptionsError("learningRate", learningRate, "a finite number");
  const context = nativeKernelContext();
  if (context === undefined || variable.isDisposed || gradient.isDisposed) return false;
  if (gradient.dtype !== "float32" || !sameShape(variable.shape, gradient.shape)) return false;
  const { backend, addon } = context;
  if (!backend.data.has(gradient.dataId)) return false;
  const w = writableValues(variable, context);
  const g = float32Values(backend, gradient);
  if (w === null || g === null || w.buffer === g.buffer) return false;
  addon.sgdUpdate(w, g, learningRate);
  return true;
}

/**
 * Applies `SgdOptimizer`'s step to `variable` in place, in one native pass, and returns whether
 * it did: `g' = gradient + variable * weightDecay`; with `buffer`, `buffer = buffer * momentum +
 * g'` in place and `g' = buffer`; then `variable -= g' * learningRate`. Every rounding is the
 * one the optimizer's tfjs ops make, in the same order, so the result is bit-identical to them,
 * which callers run when this returns false (the same conditions as {@link trySgdUpdateInPlace},
 * for the buffer too).
 */
export function trySgdMomentumUpdateInPlace(
  variable: tf.Variable,
  gradient: tf.Tensor,
  buffer: tf.Variable | undefined,
  learningRate: number,
  momentum: number,
  weightDecay: number,
): boolean {
  const context = nativeKernelContext();
  if (context === undefined || variable.isDisposed || gradient.isDisposed) return false;
  const { backend, addon } = context;
  if (gradient.dtype !== "float32" || !backend.data.has(gradient.dataId)) return false;
  if (!sameShape(variable.shape, gradient.shape)) return false;
  const w = writableValues(variable, context);
  const g = float32Values(backend, gradient);
  const b = buffer === undefined ? null : writableValues(buffer, context);
  if (w === null || g === null || (buffer !== undefined && b === null)) return false;
  if (w.buffer === g.buffer || (b !== null && (b.buffer === w.buffer || b.buffer === g.buffer)))
    return false;
  addon.sgdMomentumUpdate(w, g, b, learningRate, momentum, weightDecay);
  return true;
}

/** Whether two shapes are equal (a loop: this runs for every variable of every step). */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
