/**
 * {@link Rng}: an explicit, seeded random generator (xoroshiro128+ from `pure-rand`) with the
 * draws federated learning needs. Its whole state is four int32 words: capture it with
 * {@link Rng.captureState} and restore it exactly with {@link Rng.restoreState}.
 *
 * @module
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";
import { OptionsError } from "../core/errors.js";
import { assertNonNegativeInteger } from "../core/validate.js";
import { assertSeed, deriveState } from "./seed.js";

/** The captured state of an {@link Rng}: plain data, JSON-safe. */
export interface RngState {
  /** The generator algorithm; only `xoroshiro128plus` exists today. */
  readonly algorithm: "xoroshiro128plus";
  /** The four int32 words of state. */
  readonly words: readonly [number, number, number, number];
}

/** Any array-like that can be shuffled in place. */
export type Shuffleable<T> = T[] | { length: number; [index: number]: T };

function assertPositiveFinite(option: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw new OptionsError(option, value, "a finite number > 0");
}

/** A seeded random generator. Every random choice in BlazeFL.ts takes one explicitly. */
export class Rng {
  #gen: JumpableRandomGenerator;

  /** Use {@link createRng}, {@link Rng.fromState} or {@link clientStream} instead. */
  private constructor(gen: JumpableRandomGenerator) {
    this.#gen = gen;
  }

  /**
   * A generator seeded by `seed`, an integer in [0, 2^32 - 1].
   * The seed is mixed first, so seeds 1 and 2 give unrelated streams.
   */
  static fromSeed(seed: number): Rng {
    assertSeed("seed", seed);
    const gen = xoroshiro128plusFromState(deriveState([seed]));
    return new Rng(gen);
  }

  /** A generator whose state is `state`, as captured by {@link Rng.captureState}. */
  static fromState(state: RngState): Rng {
    if (
      state === null ||
      typeof state !== "object" ||
      state.algorithm !== "xoroshiro128plus" ||
      !Array.isArray(state.words) ||
      state.words.length !== 4 ||
      !state.words.every((w) => Number.isInteger(w) && w >= -0x8000_0000 && w <= 0x7fff_ffff)
    )
      throw new OptionsError("state", state, "an RngState captured by Rng.captureState()");
    return new Rng(xoroshiro128plusFromState(state.words));
  }

  /** A generator from four raw int32 words (used by stream derivation). */
  static fromWords(words: readonly [number, number, number, number]): Rng {
    return Rng.fromState({ algorithm: "xoroshiro128plus", words });
  }

  /** The generator's whole state, as plain data. */
  captureState(): RngState {
    const [a = 0, b = 0, c = 0, d = 0] = this.#gen.getState();
    return { algorithm: "xoroshiro128plus", words: [a, b, c, d] };
  }

  /** Sets the state to one captured earlier; the following draws repeat exactly. */
  restoreState(state: RngState): void {
    this.#gen = Rng.fromState(state).#gen;
  }

  /** An independent copy with the same state. */
  clone(): Rng {
    return new Rng(this.#gen.clone());
  }

  /**
   * A new generator that takes over this one's current position, while this one jumps 2^64 steps
   * ahead: the two streams never overlap in practice.
   */
  split(): Rng {
    const child = new Rng(this.#gen.clone());
    this.#gen.jump();
    return child;
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    return this.#gen.next() >>> 0;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    return uniformFloat64(this.#gen);
  }

  /** A uniform integer in [min, max], both included, without modulo bias. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min)) throw new OptionsError("min", min, "a safe integer");
    if (!Number.isSafeInteger(max) || max < min)
      throw new OptionsError("max", max, `a safe integer >= min (${min})`);
    return uniformInt(this.#gen, min, max);
  }

  /** A uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    if (!Number.isFinite(low)) throw new OptionsError("low", low, "a finite number");
    if (!Number.isFinite(high) || high < low)
      throw new OptionsError("high", high, `a finite number >= low (${low})`);
    return low + (high - low) * this.nextFloat();
  }

  /** A normal draw N(mean, std^2), by Box-Muller (two uniforms per draw, no hidden state). */
  normal(mean = 0, std = 1): number {
    if (!Number.isFinite(mean)) throw new OptionsError("mean", mean, "a finite number");
    if (!Number.isFinite(std) || std < 0)
      throw new OptionsError("std", std, "a finite number >= 0");
    const u1 = 1 - this.nextFloat(); // (0, 1]: log is finite
    const u2 = this.nextFloat();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A log-normal draw: exp(N(mean, sigma^2)). */
  lognormal(mean = 0, sigma = 1): number {
    return Math.exp(this.normal(mean, sigma));
  }

  /**
   * A gamma draw with the given shape (k > 0) and scale (theta > 0), by Marsaglia and Tsang;
   * shapes below 1 use the boost `Gamma(k) = Gamma(k + 1) * U^(1/k)`.
   */
  gamma(shape: number, scale = 1): number {
    assertPositiveFinite("shape", shape);
    assertPositiveFinite("scale", scale);
    if (shape < 1) {
      const u = 1 - this.nextFloat();
      return this.gamma(shape + 1, scale) * u ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.nextFloat();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /**
   * A Dirichlet draw. `alpha` is either one concentration per component or a single
   * concentration repeated `k` times. The result sums to 1.
   */
  dirichlet(alpha: readonly number[] | number, k?: number): Float64Array {
    let alphas: readonly number[];
    if (typeof alpha === "number") {
      assertPositiveFinite("alpha", alpha);
      if (k === undefined || !Number.isInteger(k) || k < 1)
        throw new OptionsError("k", k, "a positive integer (the number of components)");
      alphas = new Array<number>(k).fill(alpha);
    } else {
      if (!Array.isArray(alpha) || alpha.length === 0)
        throw new OptionsError("alpha", alpha, "a non-empty array of numbers > 0");
      for (const [i, a] of alpha.entries()) assertPositiveFinite(`alpha[${i}]`, a);
      alphas = alpha;
    }
    const out = new Float64Array(alphas.length);
    let sum = 0;
    for (let i = 0; i < alphas.length; i++) {
      const g = this.gamma(alphas[i] as number);
      out[i] = g;
      sum += g;
    }
    if (sum === 0 || !Number.isFinite(sum)) {
      // Every gamma underflowed (tiny alpha): put all the mass on one uniformly chosen component.
      out.fill(0);
      out[this.int(0, alphas.length - 1)] = 1;
      return out;
    }
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
    return out;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T, A extends Shuffleable<T>>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    assertNonNegativeInteger("n", n);
    return this.shuffle<number, Int32Array>(identity(n));
  }

  /**
   * `k` distinct integers drawn uniformly from 0..n-1, in draw order (a partial Fisher-Yates;
   * memory O(k), so it works for huge n).
   */
  sampleWithoutReplacement(n: number, k: number): number[] {
    assertNonNegativeInteger("n", n);
    assertNonNegativeInteger("k", k);
    if (k > n) throw new OptionsError("k", k, `an integer <= n (${n})`);
    const swapped = new Map<number, number>();
    const out: number[] = [];
    for (let i = 0; i < k; i++) {
      const j = this.int(i, n - 1);
      const atJ = swapped.get(j) ?? j;
      const atI = swapped.get(i) ?? i;
      out.push(atJ);
      swapped.set(j, atI);
    }
    return out;
  }

  /** One item of `items`, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new OptionsError("items", items, "a non-empty array");
    return items[this.int(0, items.length - 1)] as T;
  }
}

/**
 * A generator seeded by `seed`, an integer in [0, 2^32 - 1].
 * @example const rng = createRng(42); rng.normal();
 */
export function createRng(seed: number): Rng {
  return Rng.fromSeed(seed);
}

/**
 * 0..n-1. Its own function because a fill loop in `permutation` got on-stack-replaced before
 * the shuffle call after it had any type feedback, and V8 then re-entered that code, and
 * deoptimised at the call, on every later permutation (once per client per round).
 */
function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
