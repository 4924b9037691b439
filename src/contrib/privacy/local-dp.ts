/**
 * Local differential privacy (Flower's `LocalDpMod`): each client clips its own update and adds
 * Gaussian noise before sending it, so no one, the server included, sees an un-noised update.
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/**
 * The standard deviation of the classic Gaussian mechanism for (epsilon, delta)-DP of one
 * release: sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon (Dwork and Roth, theorem A.1; valid
 * for epsilon < 1, used beyond it by Flower too).
 * @param sensitivity - The L2 sensitivity, > 0: the clip norm the client clipped its update to.
 * @param epsilon - > 0.
 * @param delta - In (0, 1).
 */
export function localDpNoiseStd(sensitivity: number, epsilon: number, delta: number): number {
  if (typeof sensitivity !== "number" || !(sensitivity > 0) || !Number.isFinite(sensitivity))
    throw new OptionsError("sensitivity", sensitivity, "a finite number > 0");
  if (typeof epsilon !== "number" || !(epsilon > 0) || !Number.isFinite(epsilon))
    throw new OptionsError("epsilon", epsilon, "a finite number > 0");
  if (typeof delta !== "number" || !(delta > 0 && delta < 1))
    throw new OptionsError("delta", delta, "a number in (0, 1)");
  return (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}
