/**
 * A fused relu gradient for the native engine. tfjs computes it as `dy * cast(step(x))`: three
 * kernels, two temporaries and two passes. While the native kernels are installed, the Relu
 * gradient runs one native kernel instead, with bit-identical results; on any other backend, or
 * for other dtypes or shapes, the original gradient runs.
 *
 * @module
 */

import type { GradFunc, Tensor } from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
import { fillBroadcastGeometry } from "./broadcast.js";
import { type CpuBackend, float32Values, isCpuBackend } from "./cpu-backend.js";
import type { NativeKernelContext } from "./kernel-context.js";

/** The name of the fused kernel (registered for the cpu backend only). */
export const RELU_GRAD_KERNEL = "BlazeFLReluGrad";

/** The addon's op code for `dy * step(x)`. */
const RELU_GRAD_OP = 4;

const geometry = new Int32Array(12);

/** Undoes {@link installReluGrad}. */
export type Restore = () => void;

/**
 * Registers the fused kernel for `backend` and wraps the Relu gradient so it uses it.
 * Returns the function that restores the original gradient and removes the kernel.
 */
export function installReluGrad(backend: CpuBackend, context: NativeKernelContext): Restore {
  const original = tf.getGradient("Relu");
  if (original === undefined) return () => {};
  if (tf.getKernel(RELU_GRAD_KERNEL, "cpu") !== undefined)
    tf.unregisterKernel(RELU_GRAD_KERNEL, "cpu");
  tf.registerKernel({
    kernelName: RELU_GRAD_KERNEL,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { dy, x } = args.inputs;
      const cpu = args.backend;
      if (dy === undefined || x === undefined || !isCpuBackend(cpu))
        throw new Error(`${RELU_GRAD_KERNEL}: bad inputs`);
      const dyValues = float32Values(cpu, dy);
      const xValues = float32Values(cpu, x);
      if (dyValues === null || xValues === null)
        throw new Error(`${RELU_GRAD_KERNEL}: not float32`);
      const shape = fillBroadcastGeometry(dy.shape, x.shape, geometry);
      if (shape === null) throw new Error(`${RELU_GRAD_KERNEL}: shapes differ`);
      const out = context.pool.acquire(dyValues.length);
      context.addon.binary(RELU_GRAD_OP, dyValues, xValues, out, geometry);
      return cpu.makeTensorInfo(shape, "float32", out);
    },
  });
  const gradFunc: GradFunc = (dy, saved, attrs) => {
    const x = saved[0];
    const single = Array.isArray(dy) ? undefined : dy;
    if (
      single !== undefined &&
      x !== undefined &&
      (tf.backend() as unknown) === backend &&
      single.dtype === "float32" &&
      x.dtype === "float32" &&
      single.shape.length === x.shape.length &&
      single.shape.every((d, i) => d === x.shape[i])
    )
      return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: single, x }) as Tensor };
    return original.gradFunc(dy, saved, attrs);
  };
  tf.registerGradient({ ...original, gradFunc });
  return () => {
    tf.registerGradient(original);
    if (tf.getKernel(RELU_GRAD_KERNEL, "cpu") !== undefined)
      tf.unregisterKernel(RELU_GRAD_KERNEL, "cpu");
  };
}
