/**
 * The noise multiplier that reaches a privacy budget: the inverse of the accountant, searched the
 * way Opacus's `get_noise_multiplier` does so that both give the same sigma for the same budget.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { computeEpsilon } from "./rdp-accountant.js";

/** Past this sigma the budget is considered unreachable (Opacus's limit). */
export const MAX_NOISE_MULTIPLIER = 1e6;

/** What {@link findNoiseMultiplier} takes. */
export interface NoiseMultiplierQuery {
  /** The epsilon to reach, > 0. */
  readonly targetEpsilon: number;
  /** delta in (0, 1). */
  readonly delta: number;
  /** q in (0, 1]. */
  readonly sampleRate: number;
  /** The number of steps (rounds), a positive integer. */
  readonly steps: number;
  /**
   * How far below the target the returned sigma's epsilon may be.
   * @default 0.01
   */
  readonly epsilonTolerance?: number;
  /** The Rényi orders. @default DEFAULT_RDP_ORDERS */
  readonly orders?: readonly number[];
}

/**
 * The smallest noise multiplier found whose epsilon is at most the target and within
 * `epsilonTolerance` of it: sigma is doubled from 20 until epsilon falls under the target, then
 * bisected from [0, sigma]. The returned sigma never exceeds the budget.
 * @throws OptionsError naming `targetEpsilon` when even sigma = 1e6 exceeds the budget.
 */
export function findNoiseMultiplier(query: NoiseMultiplierQuery): number {
  const { targetEpsilon, delta, sampleRate, steps } = query;
  const tolerance = query.epsilonTolerance ?? 0.01;
  if (typeof targetEpsilon !== "number" || !(targetEpsilon > 0) || !Number.isFinite(targetEpsilon))
    throw new OptionsError("targetEpsilon", targetEpsilon, "a finite number > 0");
  if (typeof tolerance !== "number" || !(tolerance > 0) || !Number.isFinite(tolerance))
    throw new OptionsError("epsilonTolerance", tolerance, "a finite number > 0");
  const epsilonAt = (noiseMultiplier: number): number =>
    computeEpsilon({
      noiseMultiplier,
      sampleRate,
      steps,
      delta,
      ...(query.orders === undefined ? {} : { orders: query.orders }),
    }).epsilon;
  let low = 0;
  let high = 10;
  let epsilonHigh = Number.POSITIVE_INFINITY;
  while (epsilonHigh > targetEpsilon) {
    high *= 2;
    epsilonHigh = epsilonAt(high);
    if (high > MAX_NOISE_MULTIPLIER)
      throw new OptionsError(
        "targetEpsilon",
        targetEpsilon,
        `a budget some noise multiplier <= ${MAX_NOISE_MULTIPLIER} can reach (it is too low for ${steps} steps at sample rate ${sampleRate})`,
      );
  }
  while (targetEpsilon - epsilonHigh > tolerance) {
    const mid = (low + high) / 2;
    const eps = epsilonAt(mid);
    if (eps < targetEpsilon) {
      high = mid;
      epsilonHigh = eps;
    } else low = mid;
  }
  return high;
}
