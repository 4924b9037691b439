/**
 * What every native kernel override gets: the addon, the output-buffer pool and the counters.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import type { BufferPool } from "./buffer-pool.js";
import type { CpuBackend } from "./cpu-backend.js";

/** How often one kernel ran natively and how often it fell back to the stock cpu kernel. */
export interface KernelCallCounts {
  /** Calls the addon served. */
  native: number;
  /** Calls handed to the original tfjs kernel (an unsupported dtype, layout or shape). */
  fallback: number;
}

/** Shared state of the installed overrides in this thread. */
export interface NativeKernelContext {
  /** The loaded addon. */
  readonly addon: NativeAddon;
  /** Where outputs come from. */
  readonly pool: BufferPool;
}

/** The argument tfjs passes to a kernel function. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Tries to run a kernel natively. Returns the output, or null when the case is unsupported, in
 * which case the original kernel runs instead. It must not have side effects before it decides.
 */
export type NativeAttempt = (
  args: KernelArgs,
  backend: CpuBackend,
  context: NativeKernelContext,
) => tf.TensorInfo | tf.TensorInfo[] | null;

/** One kernel override: the tfjs kernel name and its native attempt. */
export interface NativeKernelDefinition {
  /** The tfjs kernel name, e.g. `"Conv2D"`. */
  readonly kernelName: string;
  /** The native implementation; null means "fall back". */
  readonly attempt: NativeAttempt;
}

/** The activation code the addon understands (0 linear, 1 relu), or -1 when unsupported. */
export function activationCode(activation: unknown): number {
  if (activation === undefined || activation === null || activation === "linear") return 0;
  if (activation === "relu") return 1;
  return -1;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
