/**
 * Adaptive clipping (Andrew, Thakkar, McMahan and Ramaswamy, "Differentially Private Learning
 * with Adaptive Clipping", NeurIPS 2021), with Flower's defaults: the clip norm follows a target
 * quantile of the update norms, learned geometrically from a noised count of the updates that
 * were within the clip. Part of the privacy budget goes to that count, so the updates get a
 * slightly larger effective noise multiplier.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { NormalSource } from "./gaussian-noise.js";

/** Flower's (and the paper's recommended) defaults. */
export const ADAPTIVE_CLIPPING_DEFAULTS = Object.freeze({
  /** The clip norm of the first round. */
  initialClip: 0.1,
  /** The quantile of update norms the clip should track (0.5: the median). */
  targetQuantile: 0.5,
  /** The geometric learning rate of the clip. */
  clipLearningRate: 0.2,
});

/** The default standard deviation of the noise on the within-clip count: m / 20. */
export function defaultClippedCountStddev(numSampled: number): number {
  if (!Number.isInteger(numSampled) || numSampled < 1)
    throw new OptionsError("numSampled", numSampled, "a positive integer");
  return numSampled / 20;
}

/**
 * The noise multiplier left for the updates once the count has taken its share:
 * (sigma^-2 - (2 sigma_b)^-2)^(-1/2), so that the two releases together spend what sigma alone
 * would. 0 when sigma is 0 (no noise at all).
 * @param noiseMultiplier - sigma, the run's noise multiplier (what the accountant is given).
 * @param clippedCountStddev - sigma_b, the noise on the count (see {@link defaultClippedCountStddev}).
 * @throws OptionsError naming `noiseMultiplier` when sigma >= 2 sigma_b (nothing would be left).
 */
export function adaptiveClippingNoiseMultiplier(
  noiseMultiplier: number,
  clippedCountStddev: number,
): number {
  if (
    typeof noiseMultiplier !== "number" ||
    !(noiseMultiplier >= 0) ||
    !Number.isFinite(noiseMultiplier)
  )
    throw new OptionsError("noiseMultiplier", noiseMultiplier, "a finite number >= 0");
  if (
    typeof clippedCountStddev !== "number" ||
    !(clippedCountStddev > 0) ||
    !Number.isFinite(clippedCountStddev)
  )
    throw new OptionsError("clippedCountStddev", clippedCountStddev, "a finite number > 0");
  if (noiseMultiplier === 0) return 0;
  if (noiseMultiplier >= 2 * clippedCountStddev)
    throw new OptionsError(
      "noiseMultiplier",
      noiseMultiplier,
      `a noise multiplier below twice the clipped-count stddev (${2 * clippedCountStddev}); sample more clients or lower it`,
    );
  return (noiseMultiplier ** -2 - (2 * clippedCountStddev) ** -2) ** -0.5;
}

/** What {@link nextAdaptiveClip} takes. */
export interface AdaptiveClipStep {
  /** The clip norm used this round, C_t > 0. */
  readonly clip: number;
  /** How many of this round's updates had norm <= C_t (see `ClippedUpdate.withinClip`). */
  readonly withinClipCount: number;
  /** How many updates there were this round (m >= 1). */
  readonly numSampled: number;
  /** @default 0.5 */
  readonly targetQuantile?: number;
  /** @default 0.2 */
  readonly clipLearningRate?: number;
  /** The noise on the count. @default numSampled / 20 */
  readonly clippedCountStddev?: number;
}

/** The clip norm for the next round and the noised fraction it came from. */
export interface AdaptiveClipResult {
  /** C_{t+1} = C_t * exp(-lr * (b~ - target)). */
  readonly clip: number;
  /** b~: the noised fraction of updates that were within the clip. */
  readonly noisyFraction: number;
}

/**
 * One geometric update of the clip norm: b~ = (count + N(0, sigma_b^2)) / m and
 * C_{t+1} = C_t * exp(-lr * (b~ - target)). Takes exactly one draw from `source`.
 * Updates beyond the clip push it up, updates within pull it down, so it settles at the target
 * quantile of the norms.
 */
export function nextAdaptiveClip(step: AdaptiveClipStep, source: NormalSource): AdaptiveClipResult {
  const { clip, withinClipCount, numSampled } = step;
  const targetQuantile = step.targetQuantile ?? ADAPTIVE_CLIPPING_DEFAULTS.targetQuantile;
  const lr = step.clipLearningRate ?? ADAPTIVE_CLIPPING_DEFAULTS.clipLearningRate;
  if (typeof clip !== "number" || !(clip > 0) || !Number.isFinite(clip))
    throw new OptionsError("clip", clip, "a finite number > 0");
  if (!Number.isInteger(numSampled) || numSampled < 1)
    throw new OptionsError("numSampled", numSampled, "a positive integer");
  if (!Number.isInteger(withinClipCount) || withinClipCount < 0 || withinClipCount > numSampled)
    throw new OptionsError("withinClipCount", withinClipCount, `an integer in [0, ${numSampled}]`);
  if (typeof targetQuantile !== "number" || !(targetQuantile >= 0 && targetQuantile <= 1))
    throw new OptionsError("targetQuantile", targetQuantile, "a number in [0, 1]");
  if (typeof lr !== "number" || !(lr > 0) || !Number.isFinite(lr))
    throw new OptionsError("clipLearningRate", lr, "a finite number > 0");
  const stddev = step.clippedCountStddev ?? defaultClippedCountStddev(numSampled);
  if (typeof stddev !== "number" || !(stddev >= 0) || !Number.isFinite(stddev))
    throw new OptionsError("clippedCountStddev", stddev, "a finite number >= 0");
  const noisyFraction = (withinClipCount + stddev * source.normal()) / numSampled;
  return { clip: clip * Math.exp(-lr * (noisyFraction - targetQuantile)), noisyFraction };
}
