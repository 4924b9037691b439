/**
 * Fused gradients of batch norm and of `Mean` for the native engine. tfjs composes the gradient
 * of `FusedBatchNorm` from about fifteen kernels, each a pass over the activation with its own
 * temporary, and that of `Mean` from a `ones` tensor of the input's size, a multiply and a
 * divide; on ResNet-18 these were a third of a step outside the convolutions. While the native
 * kernels are installed, both run as one kernel each on channels-last float32 tensors (two passes
 * over the data for batch norm, one for the mean, in the addon); on any other backend, dtype or
 * layout the original gradient runs. The sums are taken in float64, so results differ from
 * tfjs's in the last bits, the same way in every process.
 *
 * @module
 */

import type {
  FusedBatchNormAttrs,
  GradFunc,
  KernelFunc,
  NamedAttrMap,
  NamedTensorMap,
  Tensor,
  TensorInfo,
} from "@tensorflow/tfjs";
import { tf } from "../tfjs.js";
import { type CpuBackend, float32Values, isCpuBackend } from "./cpu-backend.js";
import type { NativeKernelContext } from "./kernel-context.js";
import type { Restore } from "./relu-grad.js";

/** The fused batch-norm gradient kernel (cpu backend only): dx, dmean, dvariance, dscale, doffset. */
export const BATCH_NORM_GRAD_KERNEL = "BlazeFLBatchNormGrad";
/** The fused mean gradient kernel (cpu backend only). */
export const MEAN_GRAD_KERNEL = "BlazeFLMeanGrad";

const isPerChannel = (t: TensorInfo | undefined, c: number) =>
  t !== undefined && t.shape.length === 1 && t.shape[0] === c;

function batchNormGradKernel(context: NativeKernelContext): KernelFunc {
  return (args) => {
    const { dy, x, mean, variance, scale } = args.inputs;
    const cpu = args.backend;
    if (dy === undefined || x === undefined || mean === undefined || variance === undefined)
      throw new Error(`${BATCH_NORM_GRAD_KERNEL}: missing inputs`);
    if (!isCpuBackend(cpu)) throw new Error(`${BATCH_NORM_GRAD_KERNEL}: not the cpu backend`);
    const c = x.shape.at(-1) as number;
    const dyv = float32Values(cpu, dy);
    const xv = float32Values(cpu, x);
    const mv = float32Values(cpu, mean);
    const vv = float32Values(cpu, variance);
    const sv = scale === undefined ? undefined : float32Values(cpu, scale);
    if (!dyv || !xv || !mv || !vv || sv === null)
      throw new Error(`${BATCH_NORM_GRAD_KERNEL}: not float32`);
    const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
    const s1 = new Float64Array(c); // sum(dy)
    const s2 = new Float64Array(c); // sum(dy * (x - mean))
    context.addon.channelSums(dyv, xv, mv, s1, s2);
    const dx = context.pool.acquire(xv.length);
    const dMean = new Float32Array(c);
    const dVariance = new Float32Array(c);
    const dScale = new Float32Array(c);
    const dOffset = new Float32Array(c);
    const factor = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      const r = 1 / Math.sqrt((vv[k] as number) + varianceEpsilon);
      const g = sv === undefined ? 1 : (sv[k] as number);
      factor[k] = r * g;
      dMean[k] = -r * g * (s1[k] as number);
      dVariance[k] = -0.5 * r * r * r * g * (s2[k] as number);
      dScale[k] = r * (s2[k] as number);
      dOffset[k] = s1[k] as number;
    }
    context.addon.channelScale(dyv, factor, dx);
    return [
      cpu.makeTensorInfo([...x.shape], "float32", dx),
      cpu.makeTensorInfo([c], "float32", dMean),
      cpu.makeTensorInfo([c], "float32", dVariance),
      cpu.makeTensorInfo([c], "float32", dScale),
      cpu.makeTensorInfo([c], "float32", dOffset),
    ];
  };
}

function meanGradKernel(context: NativeKernelContext): KernelFunc {
  return (args) => {
    const { dy } = args.inputs;
    const cpu = args.backend;
    if (dy === undefined || !isCpuBackend(cpu)) throw new Error(`${MEAN_GRAD_KERNEL}: bad inputs`);
    const dyv = float32Values(cpu, dy);
    if (dyv === null) throw new Error(`${MEAN_GRAD_KERNEL}: not float32`);
    const { outer, mid, inner, shape } = args.attrs as unknown as {
      outer: number;
      mid: number;
      inner: number;
      shape: number[];
    };
    const out = context.pool.acquire(outer * mid * inner);
    context.addon.broadcastMiddle(dyv, out, outer, mid, inner, 1 / mid);
    return cpu.makeTensorInfo(shape, "float32", out);
  };
}

/** The contiguous run of axes `axis` names in `shape`, or null. */
function contiguousAxes(axis: unknown, shape: readonly number[]): [number, number] | null {
  let axes: number[];
  try {
    axes = [...new Set(tf.util.parseAxisParam(axis as number | number[], [...shape]))].sort(
      (a, b) => a - b,
    );
  } catch {
    return null;
  }
  const first = axes[0];
  if (first === undefined || !axes.every((a, i) => a === first + i)) return null;
  return [first, axes[axes.length - 1] as number];
}

/**
 * Registers the fused kernels for the cpu backend and wraps the `FusedBatchNorm` and `Mean`
 * gradients so they use them on `backend`. Returns the function that restores the originals.
 */
export function installNormGrads(backend: CpuBackend, context: NativeKernelContext): Restore {
  const restores: Restore[] = [];
  const register = (name: string, kernelFunc: KernelFunc) => {
    if (tf.getKernel(name, "cpu") !== undefined) tf.unregisterKernel(name, "cpu");
    tf.registerKernel({ kernelName: name, backendName: "cpu", kernelFunc });
    restores.push(() => {
      if (tf.getKernel(name, "cpu") !== undefined) tf.unregisterKernel(name, "cpu");
    });
  };
  const onBackend = () => (tf.backend() as unknown) === backend;
  const batchNorm = tf.getGradient("FusedBatchNorm");
  if (batchNorm !== undefined) {
    register(BATCH_NORM_GRAD_KERNEL, batchNormGradKernel(context));
    const gradFunc: GradFunc = (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const single = Array.isArray(dy) ? undefined : dy;
      const c = x?.shape.at(-1) ?? -1;
      if (
        single !== undefined &&
        x !== undefined &&
        onBackend() &&
        [single, x, mean, variance, scale].every((t) => t === undefined || t.dtype === "float32") &&
        single.shape.length === x.shape.length &&
        single.shape.every((d, i) => d === x.shape[i]) &&
        isPerChannel(mean, c) &&
        isPerChannel(variance, c) &&
        (scale === undefined || isPerChannel(scale, c))
      ) {
        const inputs: NamedTensorMap = {
          dy: single,
          x,
          mean: mean as Tensor,
          variance: variance as Tensor,
        };
        if (scale !== undefined) inputs.scale = scale;
        const [dx, dMean, dVariance, dScale, dOffset] = tf
          .engine()
          .runKernel(BATCH_NORM_GRAD_KERNEL, inputs, attrs) as Tensor[];
        return {
          x: () => dx as Tensor,
          mean: () => dMean as Tensor,
          variance: () => dVariance as Tensor,
          scale: () => dScale as Tensor,
          offset: () => dOffset as Tensor,
        };
      }
      return batchNorm.gradFunc(dy, saved, attrs);
    };
    tf.registerGradient({ ...batchNorm, gradFunc });
    restores.push(() => tf.registerGradient(batchNorm));
  }
  const mean = tf.getGradient("Mean");
  if (mean !== undefined) {
    register(MEAN_GRAD_KERNEL, meanGradKernel(context));
    const gradFunc: GradFunc = (dy, saved, attrs) => {
      const [x] = saved;
      const single = Array.isArray(dy) ? undefined : dy;
      const run =
        x === undefined ? null : contiguousAxes((attrs as { axis?: unknown }).axis, x.shape);
      if (
        single !== undefined &&
        x !== undefined &&
        run !== null &&
        onBackend() &&
        single.dtype === "float32"
      ) {
        const [first, last] = run;
        const shape = [...x.shape];
        const outer = shape.slice(0, first).reduce((a, b) => a * b, 1);
        const mid = shape.slice(first, last + 1).reduce((a, b) => a * b, 1);
        const inner = shape.slice(last + 1).reduce((a, b) => a * b, 1);
        if (mid > 0 && single.size === outer * inner)
          return {
            x: () =>
              tf.engine().runKernel(MEAN_GRAD_KERNEL, { dy: single }, {
                outer,
                mid,
                inner,
                shape,
              } as unknown as NamedAttrMap) as Tensor,
          };
      }
      return mean.gradFunc(dy, saved, attrs);
    };
    tf.registerGradient({ ...mean, gradFunc });
    restores.push(() => tf.registerGradient(mean));
  }
  return () => {
    for (const r of restores.reverse()) r();
  };
}
