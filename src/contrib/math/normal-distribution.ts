/**
 * The complementary error function and the standard normal distribution, in float64 to about
 * machine precision. The privacy accountant needs `log erfc(x)` far into the tail (x in the
 * hundreds, where erfc itself underflows), and the ALIE attack needs the normal quantile; neither
 * is in `Math`.
 * @module
 */

const SQRT_PI = Math.sqrt(Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
/** Below this, erfc is 1 - erf from a series of positive terms; above, a continued fraction. */
const SERIES_LIMIT = 0.7;

/**
 * erf(x) for 0 <= x <= {@link SERIES_LIMIT}, from erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) /
 * (1*3*...*(2n+1)): every term is positive, so nothing cancels.
 */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/**
 * log of the continued fraction K(x) = sqrt(pi) e^(x^2) erfc(x) for x > {@link SERIES_LIMIT}, by
 * modified Lentz on erfc(x) = e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
 */
function logErfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -x * x - LOG_SQRT_PI - Math.log(f);
}

/** erfc(x) = 1 - erf(x), accurate in relative terms on the whole line (it underflows past x ~ 27). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x <= SERIES_LIMIT) return 1 - erfSeries(x);
  return Math.exp(logErfcContinuedFraction(x));
}

/**
 * log(erfc(x)), finite for every finite x: the sampled Gaussian RDP of fractional orders sums
 * terms like this far into the tail, where erfc(x) itself is 0 in float64.
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (x < 0) return Math.log(2 - erfc(-x));
  if (x <= SERIES_LIMIT) return Math.log1p(-erfSeries(x));
  return logErfcContinuedFraction(x);
}

/** The standard normal CDF Phi(x) = erfc(-x/sqrt(2))/2. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * The standard normal quantile Phi^-1(p) for p in (0, 1), by bisection on {@link normalCdf} to the
 * last representable bit: slow next to a rational approximation (about 1,100 CDF evaluations) but
 * as exact as the CDF, and it is called once per round at most.
 * @throws RangeError when p is not in (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 2000; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
