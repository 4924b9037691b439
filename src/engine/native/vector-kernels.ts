/**
 * The loops every client result goes through outside tfjs, on the native addon when it is
 * built: the finiteness check a worker runs on its uplink, the float64 weighted sum the parent
 * folds it into, and the division that ends a round's average. In JavaScript they cost 0.15, 0.5
 * and 0.3 ms per 200,000 values (the MLP); the addon's vectorised loops make the same roundings
 * in a fraction of that. Callers keep their JavaScript loop for when the addon is not there (the
 * results are the same bit for bit).
 *
 * @module
 */
import { loadNativeAddon, type NativeAddon, nativeEngineStatus } from "./addon.js";

let addon: NativeAddon | null | undefined;

function native(): NativeAddon | null {
  addon ??= nativeEngineStatus().available ? loadNativeAddon() : null;
  return addon;
}

/**
 * Whether `x` holds no NaN and no infinity; undefined when the addon is not available.
 */
export function nativeAllFinite(x: Float32Array): boolean | undefined {
  return native()?.allFinite(x);
}

/**
 * `sum[i] = sum[i] + weight * x[i]` in float64, with JavaScript's roundings (the product, then
 * the sum); returns false when `x` holds NaN or an infinity (the sum is then spoilt), and
 * undefined, touching nothing, when the addon is not available. `sum` must have at least
 * `x.length` elements.
 */
export function nativeWeightedAccumulate(
  sum: Float64Array,
  x: Float32Array,
  weight: number,
): boolean | undefined {
  return native()?.weightedAccumulate(sum, x, weight);
}

/**
 * `out[i] = sum[i] / divisor`, divided in float64 and rounded once to float32 (as JavaScript
 * stores a quotient into a Float32Array); returns false, touching nothing, when the addon is not
 * available. `sum` must have at least `out.length` elements.
 */
export function nativeDivideToFloat(
  out: Float32Array,
  sum: Float64Array,
  divisor: number,
): boolean {
  const a = native();
  if (a === null) return false;
  a.divideToFloat(out, sum, divisor);
  return true;
}
