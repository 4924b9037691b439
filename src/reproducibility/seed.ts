/**
 * Seeds and seed mixing. A seed is an integer in [0, 2^32 - 1]. Derived seeds are a pure
 * function of their inputs, mixed with SplitMix32-style finalisers so that nearby inputs
 * (cid 1 and cid 2, say) give unrelated streams.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";

/** The largest valid seed, 2^32 - 1. */
export const MAX_SEED = 0xffff_ffff;

/**
 * Asserts that `seed` is an integer in [0, 2^32 - 1].
 * @param option - The option name used in the error.
 */
export function assertSeed(option: string, seed: unknown): asserts seed is number {
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new OptionsError(option, seed, `an integer seed in [0, ${MAX_SEED}]`);
}

/** A 32-bit avalanche mix (the murmur3 finaliser). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85eb_ca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2_ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Derives a 128-bit generator state (four int32 words) from any number of 32-bit parts.
 * Pure: the same parts always give the same state. Integers up to 2^53 are accepted as parts
 * and split into two 32-bit halves, so large cids do not collide.
 */
export function deriveState(parts: readonly number[]): [number, number, number, number] {
  let h = 0x9e37_79b9;
  for (const part of parts) {
    const lo = part >>> 0;
    const hi = Math.floor(part / 0x1_0000_0000) >>> 0;
    h = mix32((h ^ lo) + 0x6a09_e667);
    h = mix32((h ^ hi) + 0xbb67_ae85);
  }
  const s0 = mix32(h + 0x3c6e_f372) | 0;
  const s1 = mix32(h + 0xa54f_f53a) | 0;
  const s2 = mix32(h + 0x510e_527f) | 0;
  const s3 = mix32(h + 0x9b05_688c) | 0;
  // xoroshiro128+ must never have an all-zero state.
  return s0 === 0 && s1 === 0 && s2 === 0 && s3 === 0 ? [1, 0, 0, 0] : [s0, s1, s2, s3];
}

/**
 * Derives a new 32-bit seed from a seed and any number of integer parts (pure).
 * @example deriveSeed(42, cid) gives a per-client seed that does not overlap `seed + cid`.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  const [a, b] = deriveState([seed, ...parts]);
  return mix32(a ^ Math.imul(b, 0x27d4_eb2d)) >>> 0;
}
