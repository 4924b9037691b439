/**
 * L2 clipping of a model update, the step that bounds each client's influence (its sensitivity)
 * before DP noise is added: Delta is scaled by min(1, C / ||Delta||).
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/** The L2 norm of `vector`, accumulated in float64. */
export function l2Norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i] as number;
    sum += v * v;
  }
  return Math.sqrt(sum);
}

/** A clipped update and what clipping did to it. */
export interface ClippedUpdate {
  /** The clipped update: a new array, `update` is left as it was. */
  readonly update: Float32Array;
  /** The norm of the update before clipping. */
  readonly norm: number;
  /** The factor applied, min(1, C / norm) (nudged down when float32 rounding would pass C). */
  readonly scale: number;
  /**
   * Whether the norm was already within the clip (norm <= C): the bit adaptive clipping counts
   * (Andrew et al.; Flower's "norm bit").
   */
  readonly withinClip: boolean;
}

/**
 * Scales `update` by min(1, clip / ||update||) into a new array. The norm of the result,
 * recomputed in float64, is never above `clip`: where rounding to float32 would push it a hair
 * past, the scale is nudged down until it is not.
 * @param update - A model update Delta = x_client - x_global.
 * @param clip - The clip norm C > 0.
 */
export function clipToNorm(update: Float32Array, clip: number): ClippedUpdate {
  if (typeof clip !== "number" || !(clip > 0) || !Number.isFinite(clip))
    throw new OptionsError("clip", clip, "a finite number > 0");
  const norm = l2Norm(update);
  if (!Number.isFinite(norm))
    throw new OptionsError("update", norm, "an update of finite values (its norm)");
  if (norm <= clip) return { update: update.slice(), norm, scale: 1, withinClip: true };
  let scale = clip / norm;
  const out = new Float32Array(update.length);
  for (;;) {
    for (let i = 0; i < update.length; i++) out[i] = (update[i] as number) * scale;
    const after = l2Norm(out);
    if (after <= clip) break;
    scale *= (clip / after) * (1 - 2 ** -23);
  }
  return { update: out, norm, scale, withinClip: false };
}
