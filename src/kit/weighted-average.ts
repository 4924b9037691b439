/**
 * A streaming weighted average of parameter vectors: memory O(model), whatever the number of
 * clients. Vectors are accumulated in float64, in the order they are added, so the result is
 * bit-identical whenever the order is (FedAvg adds them in cid order). The native addon's loop
 * does it where it is built (five times faster, the same roundings), this module's otherwise.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { assertPositiveInteger } from "../core/validate.js";
import { nativeDivideToFloat, nativeWeightedAccumulate } from "../engine/native/vector-kernels.js";

function nonFinite(vector: Float32Array): OptionsError {
  const i = vector.findIndex((v) => !Number.isFinite(v));
  return new OptionsError(`vector[${i}]`, vector[i], "a finite number");
}

/** Folds vectors into a running weighted sum; {@link WeightedAverage.result} divides once. */
export class WeightedAverage {
  readonly #sum: Float64Array;
  #totalWeight = 0;
  #count = 0;

  /** @param length - The length of every vector that will be added. */
  constructor(length: number) {
    assertPositiveInteger("length", length);
    this.#sum = new Float64Array(length);
  }

  /** The number of vectors added since the last reset. */
  get count(): number {
    return this.#count;
  }

  /** The sum of the weights added since the last reset. */
  get totalWeight(): number {
    return this.#totalWeight;
  }

  /**
   * Adds `weight * vector`.
   * @param vector - Exactly `length` values; NaN or infinite values are rejected (the sum is then
   *   spoilt: {@link WeightedAverage.reset} it).
   * @param weight - A finite weight > 0 (FedAvg uses the client's number of samples).
   */
  add(vector: Float32Array, weight: number): void {
    if (vector.length !== this.#sum.length)
      throw new OptionsError("vector.length", vector.length, `${this.#sum.length}`);
    if (!Number.isFinite(weight) || weight <= 0)
      throw new OptionsError("weight", weight, "a finite number > 0");
    const sum = this.#sum;
    const native = nativeWeightedAccumulate(sum, vector, weight);
    if (native !== undefined) {
      if (!native) throw nonFinite(vector);
      this.#totalWeight += weight;
      this.#count++;
      return;
    }
    const length = sum.length;
    // v * 0 is 0 for finite v and NaN otherwise: one add per element instead of a branch, and
    // the offending index is looked up only when there is one. Four elements per iteration,
    // with a check sum each, so that the adds do not wait on one another (1.3x faster in V8).
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      const v0 = vector[i] as number;
      const v1 = vector[i + 1] as number;
      const v2 = vector[i + 2] as number;
      const v3 = vector[i + 3] as number;
      c0 += v0 * 0;
      c1 += v1 * 0;
      c2 += v2 * 0;
      c3 += v3 * 0;
      sum[i] = (sum[i] as number) + weight * v0;
      sum[i + 1] = (sum[i + 1] as number) + weight * v1;
      sum[i + 2] = (sum[i + 2] as number) + weight * v2;
      sum[i + 3] = (sum[i + 3] as number) + weight * v3;
    }
    for (; i < length; i++) {
      const v = vector[i] as number;
      c0 += v * 0;
      sum[i] = (sum[i] as number) + weight * v;
    }
    if (c0 + c1 + c2 + c3 !== 0) throw nonFinite(vector);
    this.#totalWeight += weight;
    this.#count++;
  }

  /** The weighted mean of everything added, as float32 (into `out` when given). */
  result(out: Float32Array = new Float32Array(this.#sum.length)): Float32Array {
    if (this.#count === 0) throw new OptionsError("count", 0, "at least one added vector");
    if (out.length !== this.#sum.length)
      throw new OptionsError("out.length", out.length, `${this.#sum.length}`);
    const sum = this.#sum;
    const total = this.#totalWeight;
    if (nativeDivideToFloat(out, sum, total)) return out;
    for (let i = 0; i < out.length; i++) out[i] = (sum[i] as number) / total;
    return out;
  }

  /** Forgets everything added. */
  reset(): void {
    this.#sum.fill(0);
    this.#totalWeight = 0;
    this.#count = 0;
  }
}
