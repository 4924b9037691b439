/**
 * From RDP to (epsilon, delta)-DP, with the tighter conversion of Balle et al. (2020, "Hypothesis
 * testing interpretations and Rényi differential privacy", theorem 21) that Opacus uses:
 * epsilon = rdp - (ln delta + ln alpha)/(alpha - 1) + ln((alpha - 1)/alpha), minimised over the
 * orders.
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/** An (epsilon, delta) guarantee and the Rényi order that gave it. */
export interface PrivacySpent {
  /** The smallest epsilon over the orders (Infinity when every order gave NaN or Infinity). */
  readonly epsilon: number;
  /** The order that attains it (NaN when none did). */
  readonly order: number;
}

/**
 * The epsilon at `delta` of a mechanism whose RDP at `orders[k]` is `rdp[k]`. Ties go to the
 * first order. When the best order is the first or the last one, a wider range of orders might
 * give a smaller epsilon: the bound is still valid, only looser.
 * @param delta - In (0, 1).
 */
export function rdpToEpsilon(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
): PrivacySpent {
  if (typeof delta !== "number" || !(delta > 0 && delta < 1))
    throw new OptionsError("delta", delta, "a number in (0, 1)");
  if (rdp.length !== orders.length)
    throw new OptionsError("rdp.length", rdp.length, `one value per order (${orders.length})`);
  let best = Number.NaN;
  let bestOrder = Number.NaN;
  const logDelta = Math.log(delta);
  for (const [k, alpha] of orders.entries()) {
    const eps =
      (rdp[k] as number) -
      (logDelta + Math.log(alpha)) / (alpha - 1) +
      Math.log((alpha - 1) / alpha);
    if (!Number.isNaN(eps) && (Number.isNaN(best) || eps < best)) {
      best = eps;
      bestOrder = alpha;
    }
  }
  if (Number.isNaN(best)) return { epsilon: Number.POSITIVE_INFINITY, order: Number.NaN };
  return { epsilon: best, order: bestOrder };
}
