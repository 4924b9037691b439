/**
 * Sums and differences of numbers held as their logarithms. The RDP of the sampled Gaussian
 * mechanism adds terms as small as e^-1000 to terms near 1; in log space nothing underflows.
 * @module
 */

/** log(e^a + e^b), exact when either is -Infinity. */
export function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === Number.NEGATIVE_INFINITY) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/**
 * log(e^a - e^b) for a >= b; -Infinity when they are equal.
 * @throws RangeError when b > a (the difference would be negative).
 */
export function logSub(a: number, b: number): number {
  if (b > a) throw new RangeError(`logSub: the result would be negative (log ${a} - log ${b})`);
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a === b) return Number.NEGATIVE_INFINITY;
  const d = a - b;
  // expm1 overflows past ~709; there log(e^d - 1) is d to the last bit.
  return d > 700 ? a : Math.log(Math.expm1(d)) + b;
}
