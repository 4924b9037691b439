/**
 * The Rényi differential privacy of the sampled Gaussian mechanism (Mironov, Talwar and Zhang,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", 2019): each record (client) is
 * included with probability q, and Gaussian noise of standard deviation sigma times the
 * sensitivity is added. The bound is computed in log space, as Opacus does, so it stays finite
 * and stable for every order the accountant uses.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { logErfc } from "../math/normal-distribution.js";
import { logAdd, logSub } from "./log-space.js";

/**
 * The orders the accountant evaluates: 1 + x/10 for x = 1..99, then 12..63 (Opacus's default).
 * Fine steps near 1 matter for large epsilon; integer orders up to 63 for small epsilon.
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

/** log A_alpha for an integer order: a finite binomial sum (Mironov et al., section 3.3). */
function logAIntegerOrder(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = Number.NEGATIVE_INFINITY;
  let binom = 1;
  for (let i = 0; i <= alpha; i++) {
    const term =
      Math.log(binom) + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
    binom = (binom * (alpha - i)) / (i + 1);
  }
  return logA;
}

/**
 * log A_alpha for a fractional order: two alternating series split at z0, summed until both
 * terms fall below e^-30 (Mironov et al., section 3.3).
 */
function logAFractionalOrder(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  // The generalised binomial coefficient C(alpha, i), updated term by term; it changes sign once
  // i passes alpha, and its magnitude only shrinks polynomially, so nothing overflows.
  let coef = 1;
  for (let i = 0; ; i++) {
    const j = alpha - i;
    const logCoef = Math.log(Math.abs(coef));
    const logT0 = logCoef + i * logQ + j * log1mQ;
    const logT1 = logCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS0 = logT0 + (i * i - i) / twoSigma2 + logE0;
    const logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
    if (coef > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
    coef = (coef * (alpha - i)) / (i + 1);
  }
  return logAdd(logA0, logA1);
}

/**
 * The RDP of one step of the sampled Gaussian mechanism at order `alpha`.
 * @param sampleRate - The probability q in [0, 1] that a record (client) takes part in a step.
 * @param noiseMultiplier - sigma >= 0: the noise's standard deviation over the sensitivity.
 * @param alpha - The Rényi order, > 1 (or Infinity).
 */
export function sampledGaussianRdp(
  sampleRate: number,
  noiseMultiplier: number,
  alpha: number,
): number {
  assertRdpInputs(sampleRate, noiseMultiplier);
  if (!(alpha > 1)) throw new OptionsError("alpha", alpha, "a Rényi order > 1");
  if (sampleRate === 0) return 0;
  if (noiseMultiplier === 0) return Number.POSITIVE_INFINITY;
  if (sampleRate === 1) return alpha / (2 * noiseMultiplier * noiseMultiplier);
  if (alpha === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const logA = Number.isInteger(alpha)
    ? logAIntegerOrder(sampleRate, noiseMultiplier, alpha)
    : logAFractionalOrder(sampleRate, noiseMultiplier, alpha);
  return logA / (alpha - 1);
}

/**
 * The RDP of `steps` compositions of the sampled Gaussian mechanism, one value per order
 * (RDP composes additively).
 * @param orders - The Rényi orders; {@link DEFAULT_RDP_ORDERS} unless given.
 */
export function computeRdp(
  sampleRate: number,
  noiseMultiplier: number,
  steps: number,
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): Float64Array {
  if (!Number.isInteger(steps) || steps < 0)
    throw new OptionsError("steps", steps, "a non-negative integer");
  const out = new Float64Array(orders.length);
  for (const [k, alpha] of orders.entries())
    out[k] = steps === 0 ? 0 : sampledGaussianRdp(sampleRate, noiseMultiplier, alpha) * steps;
  return out;
}

function assertRdpInputs(sampleRate: number, noiseMultiplier: number): void {
  if (typeof sampleRate !== "number" || !(sampleRate >= 0 && sampleRate <= 1))
    throw new OptionsError("sampleRate", sampleRate, "a probability in [0, 1]");
  if (
    typeof noiseMultiplier !== "number" ||
    !(noiseMultiplier >= 0) ||
    !Number.isFinite(noiseMultiplier)
  )
    throw new OptionsError("noiseMultiplier", noiseMultiplier, "a finite number >= 0");
}
