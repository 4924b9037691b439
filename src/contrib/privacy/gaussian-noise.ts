/**
 * Gaussian noise for differential privacy, from a seeded generator (reproducible runs) or from the
 * operating system's cryptographic source (what a real deployment needs).
 * @module
 */
import { randomBytes } from "node:crypto";
import { OptionsError } from "../../core/errors.js";

/**
 * Where standard normal draws come from. An `Rng` from `src/reproducibility` is one (its
 * `normal()` with no arguments is N(0, 1)).
 */
export interface NormalSource {
  /** One draw from N(0, 1). */
  normal(): number;
}

/** Uniform doubles in (0, 1] from `randomBytes`, 53 bits each, fetched in blocks. */
function cryptoUniforms(blockSize: number): () => number {
  let buffer = randomBytes(8 * blockSize);
  let offset = buffer.length;
  return () => {
    if (offset === buffer.length) {
      buffer = randomBytes(8 * blockSize);
      offset = 0;
    }
    const hi = buffer.readUInt32BE(offset) >>> 5; // 27 bits
    const lo = buffer.readUInt32BE(offset + 4) >>> 6; // 26 bits
    offset += 8;
    return (hi * 67_108_864 + lo + 1) / 9_007_199_254_740_992; // (0, 1]
  };
}

/**
 * A {@link NormalSource} drawing from `node:crypto`'s `randomBytes` (Box-Muller on 53-bit
 * uniforms). It is NOT reproducible: two runs with the same seed differ, so a run that uses it
 * cannot be checked by its model hash. Simulations use the seeded `Rng`; this exists because
 * noise an adversary could predict from the seed protects nothing.
 */
export function cryptoNormalSource(): NormalSource {
  const uniform = cryptoUniforms(1024);
  let spare: number | undefined;
  return {
    normal(): number {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      const r = Math.sqrt(-2 * Math.log(uniform()));
      const theta = 2 * Math.PI * uniform();
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
  };
}

/**
 * `vector` plus independent N(0, std^2) noise per coordinate, as a new array. Draws are taken in
 * coordinate order, so a seeded source gives the same noise every time.
 * @param std - The noise's standard deviation, >= 0 (0 returns a copy).
 */
export function addGaussianNoise(
  vector: Float32Array,
  std: number,
  source: NormalSource,
): Float32Array {
  if (typeof std !== "number" || !(std >= 0) || !Number.isFinite(std))
    throw new OptionsError("std", std, "a finite number >= 0");
  const out = vector.slice();
  if (std === 0) return out;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + std * source.normal();
  return out;
}

/**
 * The standard deviation of the noise DP-FedAvg adds to the average of m clipped updates:
 * sigma * C / m (McMahan et al., 2018). The sum of m updates clipped to C has sensitivity C, so
 * its noise is sigma * C; dividing the sum by m divides the noise too.
 * @param noiseMultiplier - sigma >= 0.
 * @param clip - The clip norm C > 0.
 * @param numSampled - m, the number of clients whose updates were averaged (>= 1).
 */
export function dpFedAvgNoiseStd(
  noiseMultiplier: number,
  clip: number,
  numSampled: number,
): number {
  if (
    typeof noiseMultiplier !== "number" ||
    !(noiseMultiplier >= 0) ||
    !Number.isFinite(noiseMultiplier)
  )
    throw new OptionsError("noiseMultiplier", noiseMultiplier, "a finite number >= 0");
  if (typeof clip !== "number" || !(clip > 0) || !Number.isFinite(clip))
    throw new OptionsError("clip", clip, "a finite number > 0");
  if (!Number.isInteger(numSampled) || numSampled < 1)
    throw new OptionsError("numSampled", numSampled, "a positive integer");
  return (noiseMultiplier * clip) / numSampled;
}
