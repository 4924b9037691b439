import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ADAPTIVE_CLIPPING_DEFAULTS,
  adaptiveClippingNoiseMultiplier,
  defaultClippedCountStddev,
  nextAdaptiveClip,
} from "../../../src/contrib/privacy/adaptive-clipping.js";
import {
  addGaussianNoise,
  cryptoNormalSource,
  dpFedAvgNoiseStd,
  type NormalSource,
} from "../../../src/contrib/privacy/gaussian-noise.js";
import { localDpNoiseStd } from "../../../src/contrib/privacy/local-dp.js";
import { OptionsError } from "../../../src/core/errors.js";
import { createRng } from "../../../src/reproducibility/rng.js";

/** Mean and standard deviation of `noisy - base`. */
function noiseMoments(noisy: Float32Array, base: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < noisy.length; i++) {
    const d = noisy[i]! - base[i]!;
    sum += d;
    sumSq += d * d;
  }
  const mean = sum / noisy.length;
  return { mean, std: Math.sqrt(sumSq / noisy.length - mean * mean) };
}

const N = 200_000;
// The sample std of N normal draws has a relative standard error of 1/sqrt(2N) = 0.16 %: 1 % is
// more than 6 standard errors, and a source with the variance used as the std fails by far.
const STD_TOLERANCE = 0.01;

function checkNoise(source: NormalSource, std: number): void {
  const base = new Float32Array(N);
  for (let i = 0; i < N; i++) base[i] = Math.sin(i);
  const moments = noiseMoments(addGaussianNoise(base, std, source), base);
  assert.ok(Math.abs(moments.std / std - 1) < STD_TOLERANCE, `std ${moments.std}, want ${std}`);
  assert.ok(Math.abs(moments.mean) < (5 * std) / Math.sqrt(N), `mean ${moments.mean}`);
}

describe("DP noise", () => {
  it("DP-FedAvg's noise has stddev sigma * C / m (seeded, reproducible)", () => {
    const std = dpFedAvgNoiseStd(1.2, 0.5, 10);
    assert.equal(std, 0.06);
    checkNoise(createRng(5), std);
    const base = new Float32Array(1000);
    assert.deepEqual(
      addGaussianNoise(base, std, createRng(9)),
      addGaussianNoise(base, std, createRng(9)),
      "the same seed gives the same noise",
    );
  });

  it("the cryptographic source has the same distribution and is not reproducible", () => {
    checkNoise(cryptoNormalSource(), 0.3);
    const base = new Float32Array(64);
    assert.notDeepEqual(
      addGaussianNoise(base, 1, cryptoNormalSource()),
      addGaussianNoise(base, 1, cryptoNormalSource()),
    );
  });

  it("local DP's stddev is sensitivity * sqrt(2 ln(1.25/delta)) / epsilon", () => {
    assert.ok(Math.abs(localDpNoiseStd(1, 1, 1e-5) - 4.844805262605389) < 1e-14);
    assert.ok(Math.abs(localDpNoiseStd(2, 0.5, 1e-3) - 15.105918130636187) < 1e-13);
    assert.throws(
      () => localDpNoiseStd(1, 1, 1),
      (e: unknown) => e instanceof OptionsError && e.option === "delta",
    );
  });

  it("rejects a negative noise multiplier and a clip <= 0", () => {
    assert.throws(
      () => dpFedAvgNoiseStd(-1, 1, 1),
      (e: unknown) => e instanceof OptionsError && e.option === "noiseMultiplier",
    );
    assert.throws(
      () => dpFedAvgNoiseStd(1, 0, 1),
      (e: unknown) => e instanceof OptionsError && e.option === "clip",
    );
  });
});

describe("adaptive clipping (Andrew et al., Flower's defaults)", () => {
  it("has Flower's defaults", () => {
    assert.deepEqual(
      { ...ADAPTIVE_CLIPPING_DEFAULTS },
      {
        initialClip: 0.1,
        targetQuantile: 0.5,
        clipLearningRate: 0.2,
      },
    );
    assert.equal(defaultClippedCountStddev(40), 2);
  });

  it("moves the clip geometrically: C * exp(-lr * (b~ - target))", () => {
    // Without count noise: 3 of 10 within the clip, b~ = 0.3, C' = 0.1 * exp(0.04).
    const exact = nextAdaptiveClip(
      { clip: 0.1, withinClipCount: 3, numSampled: 10, clippedCountStddev: 0 },
      createRng(1),
    );
    assert.equal(exact.noisyFraction, 0.3);
    assert.ok(Math.abs(exact.clip - 0.10408107741923883) < 1e-16, String(exact.clip));
    // All within the clip: b~ = 1, the clip shrinks by exp(-0.1).
    const shrink = nextAdaptiveClip(
      { clip: 2, withinClipCount: 5, numSampled: 5, clippedCountStddev: 0 },
      createRng(1),
    );
    assert.ok(Math.abs(shrink.clip - 2 * Math.exp(-0.1)) < 1e-15);
  });

  it("noises the count with stddev m/20 by default, from the given source", () => {
    const rng = createRng(21);
    const z = rng.clone().normal();
    const result = nextAdaptiveClip({ clip: 0.1, withinClipCount: 7, numSampled: 20 }, rng);
    const noisyFraction = (7 + 1 * z) / 20; // m/20 = 1
    assert.ok(Math.abs(result.noisyFraction - noisyFraction) < 1e-15);
    assert.ok(Math.abs(result.clip - 0.1 * Math.exp(-0.2 * (noisyFraction - 0.5))) < 1e-15);
  });

  it("leaves the updates an effective noise multiplier (sigma^-2 - (2 sigma_b)^-2)^(-1/2)", () => {
    assert.ok(Math.abs(adaptiveClippingNoiseMultiplier(1, 5) - 1.005037815259212) < 1e-15);
    assert.equal(adaptiveClippingNoiseMultiplier(0, 5), 0);
    // m = 10: sigma_b = 0.5, and sigma = 1 = 2 sigma_b leaves nothing for the updates.
    assert.throws(
      () => adaptiveClippingNoiseMultiplier(1, defaultClippedCountStddev(10)),
      (e: unknown) => e instanceof OptionsError && e.option === "noiseMultiplier",
    );
  });
});
