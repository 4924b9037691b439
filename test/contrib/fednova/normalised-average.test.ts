import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FedNovaAverage,
  fedNovaNormaliser,
} from "../../../src/contrib/fednova/normalised-average.js";
import { OptionsError } from "../../../src/core/errors.js";
import { WeightedAverage } from "../../../src/kit/weighted-average.js";
import { createRng } from "../../../src/reproducibility/index.js";

function randomModel(rng: ReturnType<typeof createRng>, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);
}

/** The paper's formula, written out in float64: x − η τ_eff Σ p_k (x − y_k) / τ_k. */
function paperUpdate(
  x: Float32Array,
  models: readonly Float32Array[],
  weights: readonly number[],
  steps: readonly number[],
  serverLr: number,
): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const p = weights.map((w) => w / total);
  const tauEff = p.reduce((s, pk, k) => s + pk * (steps[k] as number), 0);
  return [...x].map((xi, i) => {
    let sum = 0;
    for (const [k, y] of models.entries())
      sum += ((p[k] as number) * (xi - (y[i] as number))) / (steps[k] as number);
    return xi - serverLr * tauEff * sum;
  });
}

describe("fedNovaNormaliser", () => {
  it("is τ for plain SGD and Σ (1 − ρ^s)/(1 − ρ) with momentum (by hand)", () => {
    assert.equal(fedNovaNormaliser(7), 7);
    // ρ = 0.5, τ = 3: (0.5 + 0.75 + 0.875) / 0.5 = 4.25
    assert.equal(fedNovaNormaliser(3, 0.5), 4.25);
    let sum = 0;
    for (let s = 1; s <= 40; s++) sum += (1 - 0.9 ** s) / 0.1;
    assert.ok(Math.abs(fedNovaNormaliser(40, 0.9) - sum) < 1e-9);
    assert.throws(() => fedNovaNormaliser(0), /`steps`/);
    assert.throws(() => fedNovaNormaliser(2, 1), /`momentum`/);
  });
});

describe("FedNovaAverage", () => {
  it("a two-client round, by hand", () => {
    // x = 0; y1 = 1 after 1 step, y2 = 2 after 4 steps, equal weights:
    // d = [−1, −0.5], τ_eff = 2.5, x ← 0 − 2.5 · (−0.75) = 1.875 (FedAvg: 1.5).
    const nova = new FedNovaAverage(1);
    nova.add(new Float32Array([1]), 1, 1);
    nova.add(new Float32Array([2]), 1, 4);
    assert.equal(nova.effectiveSteps, 2.5);
    assert.equal(nova.stepScale, 1.5625); // E[τ] E[1/τ] = 2.5 · 0.625
    const x = new Float32Array([0]);
    nova.apply(x);
    // A = 0.8 · 1 + 0.2 · 2 = 1.2, rounded to float32 before the step: within 1e-7.
    assert.ok(Math.abs((x[0] as number) - 1.875) < 1e-6, `${x[0]}`);
  });

  it("equals FedAvg's weighted average bit for bit when every client takes the same steps", () => {
    const rng = createRng(7);
    const n = 257;
    for (const steps of [1, 5, 12]) {
      const x = randomModel(rng, n);
      const models = Array.from({ length: 6 }, () => randomModel(rng, n));
      const sizes = [13, 1, 250, 77, 4, 60];
      const nova = new FedNovaAverage(n);
      const avg = new WeightedAverage(n);
      for (const [k, y] of models.entries()) {
        nova.add(y, sizes[k] as number, fedNovaNormaliser(steps, 0.9));
        avg.add(y, sizes[k] as number);
      }
      assert.equal(nova.stepScale, 1);
      nova.apply(x);
      assert.deepEqual(
        new Uint32Array(x.buffer),
        new Uint32Array(avg.result().buffer),
        `steps ${steps}`,
      );
    }
  });

  it("matches the paper's formula, and differs from FedAvg, when step counts are skewed", () => {
    const rng = createRng(9);
    const n = 100;
    const x0 = randomModel(rng, n);
    const models = Array.from({ length: 5 }, () => randomModel(rng, n));
    const sizes = [10, 200, 35, 35, 90];
    const steps = sizes.map((s) => Math.ceil(s / 10)); // one epoch, batch 10
    for (const serverLr of [1, 0.5]) {
      const nova = new FedNovaAverage(n);
      const avg = new WeightedAverage(n);
      for (const [k, y] of models.entries()) {
        nova.add(y, sizes[k] as number, steps[k] as number);
        avg.add(y, sizes[k] as number);
      }
      const x = x0.slice();
      nova.apply(x, serverLr);
      const expected = paperUpdate(x0, models, sizes, steps, serverLr);
      for (const [i, e] of expected.entries())
        assert.ok(Math.abs((x[i] as number) - e) < 1e-6, `[${i}] ${x[i]} vs ${e}`);
      const fedavg = avg.result();
      const gap = Math.max(...[...x].map((v, i) => Math.abs(v - (fedavg[i] as number))));
      assert.ok(gap > 0.05, `FedNova and FedAvg differ under skew (max gap ${gap})`);
    }
  });

  it("rejects bad input and resets", () => {
    const nova = new FedNovaAverage(2);
    assert.throws(() => nova.effectiveSteps, OptionsError);
    assert.throws(() => nova.add(new Float32Array(2), 1, 0), /`normaliser`/);
    assert.throws(() => nova.add(new Float32Array(2), 0, 1), /`weight`/);
    nova.add(new Float32Array([1, 1]), 1, 2);
    assert.throws(() => nova.apply(new Float32Array(3)), /x\.length/);
    assert.throws(() => nova.apply(new Float32Array(2), 0), /`serverLr`/);
    nova.reset();
    assert.equal(nova.count, 0);
    nova.add(new Float32Array([3, 4]), 1, 5);
    const x = new Float32Array(2);
    nova.apply(x);
    assert.deepEqual([...x], [3, 4]);
  });
});
