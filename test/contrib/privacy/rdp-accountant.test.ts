import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findNoiseMultiplier } from "../../../src/contrib/privacy/noise-multiplier.js";
import { computeEpsilon, RdpAccountant } from "../../../src/contrib/privacy/rdp-accountant.js";
import { rdpToEpsilon } from "../../../src/contrib/privacy/rdp-to-epsilon.js";
import {
  DEFAULT_RDP_ORDERS,
  sampledGaussianRdp,
} from "../../../src/contrib/privacy/sampled-gaussian-rdp.js";
import { OptionsError } from "../../../src/core/errors.js";

// The vectors are Opacus 1.6's accountant tests (see algorithms.md).
describe("RDP accountant (sampled Gaussian mechanism)", () => {
  it("uses Opacus's orders: 1.1 .. 10.9 by 0.1, then 12 .. 63", () => {
    assert.equal(DEFAULT_RDP_ORDERS.length, 99 + 52);
    assert.equal(DEFAULT_RDP_ORDERS[0], 1.1);
    assert.equal(DEFAULT_RDP_ORDERS[98], 10.9);
    assert.equal(DEFAULT_RDP_ORDERS[99], 12);
    assert.equal(DEFAULT_RDP_ORDERS.at(-1), 63);
  });

  it("sigma 1.5, q 0.04, 2250 steps, delta 1e-5 gives epsilon 7.32911117143", () => {
    const { epsilon, order } = computeEpsilon({
      noiseMultiplier: 1.5,
      sampleRate: 0.04,
      steps: 2250,
      delta: 1e-5,
    });
    assert.ok(Math.abs(epsilon - 7.32911117143) < 5e-11, String(epsilon));
    // A fractional order wins, so the fractional series is the one checked here.
    assert.equal(order, 3.9);
  });

  it("finds the noise multiplier for epsilon 8 (2250 and 2000 steps)", () => {
    const query = { targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04 };
    const sigma2250 = findNoiseMultiplier({ ...query, steps: 2250 });
    const sigma2000 = findNoiseMultiplier({ ...query, steps: 2000 });
    assert.ok(Math.abs(sigma2250 - 1.416) < 5e-5, String(sigma2250));
    assert.ok(Math.abs(sigma2000 - 1.3562) < 5e-5, String(sigma2000));
    // The sigma found never exceeds the budget, and is within the tolerance of it.
    const eps = computeEpsilon({ ...query, noiseMultiplier: sigma2250, steps: 2250 }).epsilon;
    assert.ok(eps <= 8 && eps > 8 - 0.01, String(eps));
  });

  it("composes stages: (1e-5, 1.0, 10) then (1e-4, 3.0, 4) at orders 2..32 gives 0.336 at 23", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const accountant = new RdpAccountant({ orders });
    accountant.step({ sampleRate: 1e-5, noiseMultiplier: 1.0, steps: 10 });
    accountant.step({ sampleRate: 1e-4, noiseMultiplier: 3.0, steps: 4 });
    const { epsilon, order } = accountant.getPrivacySpent(1e-5);
    assert.ok(Math.abs(epsilon - 0.336) < 5e-4, String(epsilon));
    assert.equal(order, 23);
  });

  it("merges steps that share sigma and q, as one stage of many steps", () => {
    const stepped = new RdpAccountant();
    for (let round = 0; round < 50; round++)
      stepped.step({ noiseMultiplier: 1.1, sampleRate: 0.1 });
    assert.deepEqual(stepped.stages, [{ noiseMultiplier: 1.1, sampleRate: 0.1, steps: 50 }]);
    const once = computeEpsilon({ noiseMultiplier: 1.1, sampleRate: 0.1, steps: 50, delta: 1e-5 });
    assert.ok(Math.abs(stepped.getEpsilon(1e-5) - once.epsilon) < 1e-12);
  });

  it("restores from its JSON state to the same epsilon, bit for bit", () => {
    const accountant = new RdpAccountant();
    accountant.step({ noiseMultiplier: 1.2, sampleRate: 0.05, steps: 30 });
    accountant.step({ noiseMultiplier: 0.9, sampleRate: 0.05, steps: 7 });
    const state = JSON.parse(JSON.stringify(accountant.captureState()));
    const restored = RdpAccountant.fromState(state);
    assert.equal(restored.getEpsilon(1e-5), accountant.getEpsilon(1e-5));
    assert.equal(restored.totalSteps, 37);
    restored.step({ noiseMultiplier: 0.9, sampleRate: 0.05 });
    accountant.step({ noiseMultiplier: 0.9, sampleRate: 0.05 });
    assert.equal(restored.getEpsilon(1e-5), accountant.getEpsilon(1e-5));
    assert.throws(() => RdpAccountant.fromState({ version: 2 } as never), OptionsError);
  });

  it("epsilonAfter previews the next step without taking it", () => {
    const accountant = new RdpAccountant();
    accountant.step({ noiseMultiplier: 1, sampleRate: 0.1, steps: 10 });
    const before = accountant.getEpsilon(1e-5);
    const preview = accountant.epsilonAfter({ noiseMultiplier: 1, sampleRate: 0.1 }, 1e-5);
    assert.equal(accountant.getEpsilon(1e-5), before);
    accountant.step({ noiseMultiplier: 1, sampleRate: 0.1 });
    assert.equal(accountant.getEpsilon(1e-5), preview);
    assert.ok(preview > before);
  });

  it("handles the edge cases: no step, q = 1, and the integer-order closed form", () => {
    assert.equal(new RdpAccountant().getEpsilon(1e-5), 0);
    assert.equal(sampledGaussianRdp(1, 2, 5), 5 / 8);
    // Order 2 in closed form: A_2 = (1-q)^2 + 2q(1-q) + q^2 e^(1/sigma^2).
    const q = 0.01;
    const sigma = 1.3;
    const a2 = (1 - q) ** 2 + 2 * q * (1 - q) + q * q * Math.exp(1 / (sigma * sigma));
    assert.ok(Math.abs(sampledGaussianRdp(q, sigma, 2) - Math.log(a2)) < 1e-15);
    assert.equal(rdpToEpsilon([2, 3], [Number.NaN, Number.NaN], 1e-5).epsilon, Infinity);
  });

  it("rejects bad stages and deltas, naming the field", () => {
    const accountant = new RdpAccountant();
    assert.throws(
      () => accountant.step({ noiseMultiplier: 0, sampleRate: 0.1 }),
      (e: unknown) => e instanceof OptionsError && e.option === "stage.noiseMultiplier",
    );
    assert.throws(
      () => accountant.step({ noiseMultiplier: 1, sampleRate: 1.5 }),
      (e: unknown) => e instanceof OptionsError && e.option === "stage.sampleRate",
    );
    assert.throws(
      () => accountant.step({ noiseMultiplier: 1, sampleRate: 0.5, steps: 1.5 }),
      (e: unknown) => e instanceof OptionsError && e.option === "stage.steps",
    );
    assert.throws(
      () => accountant.getEpsilon(1),
      (e: unknown) => e instanceof OptionsError && e.option === "delta",
    );
    assert.throws(
      () => findNoiseMultiplier({ targetEpsilon: 1e-9, delta: 1e-5, sampleRate: 1, steps: 1000 }),
      (e: unknown) => e instanceof OptionsError && e.option === "targetEpsilon",
    );
  });
});

/**
 * log A_alpha straight from its definition, E_{z ~ N(0, sigma^2)}[((1 - q) + q e^((2z - 1) /
 * (2 sigma^2)))^alpha], by the trapezoid rule in log space: an independent check of the series.
 */
function logAByIntegration(q: number, sigma: number, alpha: number): number {
  const s2 = sigma * sigma;
  const h = 1e-3 * sigma;
  const lo = -40 * sigma;
  const hi = alpha + 40 * sigma;
  const logTerms: number[] = [];
  for (let z = lo; z <= hi; z += h) {
    const logDensity = -(z * z) / (2 * s2) - Math.log(sigma * Math.sqrt(2 * Math.PI));
    const x = (2 * z - 1) / (2 * s2) + Math.log(q);
    const logRatio =
      Math.max(Math.log1p(-q), x) + Math.log1p(Math.exp(-Math.abs(x - Math.log1p(-q))));
    logTerms.push(logDensity + alpha * logRatio);
  }
  const max = Math.max(...logTerms);
  let sum = 0;
  for (const t of logTerms) sum += Math.exp(t - max);
  return max + Math.log(sum * h);
}

describe("sampled Gaussian RDP against its definition", () => {
  it("matches numerical integration for integer and fractional orders", () => {
    for (const [q, sigma, alpha] of [
      [0.04, 1.5, 3.9],
      [0.04, 1.5, 8],
      [0.01, 0.8, 1.5],
      [0.2, 2, 10.3],
      [0.5, 1, 32],
    ] as const) {
      const expected = logAByIntegration(q, sigma, alpha) / (alpha - 1);
      const actual = sampledGaussianRdp(q, sigma, alpha);
      assert.ok(
        Math.abs(actual - expected) <= 1e-8 * Math.abs(expected),
        `q ${q}, sigma ${sigma}, alpha ${alpha}: ${actual} vs ${expected}`,
      );
    }
  });
});
