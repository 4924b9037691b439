import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { createRng, Rng } from "../../src/reproducibility/rng.js";
import { correlation } from "./statistics.js";

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe("Rng", () => {
  it("repeats exactly for the same seed and differs across seeds", () => {
    assert.deepEqual(draws(createRng(42), 100), draws(createRng(42), 100));
    assert.notDeepEqual(draws(createRng(42), 100), draws(createRng(43), 100));
  });

  it("accepts the whole seed range", () => {
    assert.equal(draws(createRng(0), 3).length, 3);
    assert.equal(draws(createRng(0xffff_ffff), 3).length, 3);
  });

  it("rejects seeds that are out of range, negative, non-integer, NaN or of the wrong type", () => {
    for (const bad of [
      -1,
      2 ** 32,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "42",
      null,
      undefined,
    ]) {
      assert.throws(
        () => createRng(bad as number),
        (e: unknown) => {
          assert.ok(e instanceof OptionsError);
          assert.equal(e.option, "seed");
          assert.match(e.message, /integer seed in \[0, 4294967295\]/);
          return true;
        },
      );
    }
  });

  it("restores a captured state exactly, also through JSON", () => {
    const rng = createRng(7);
    draws(rng, 13);
    const state = JSON.parse(JSON.stringify(rng.captureState()));
    const expected = [rng.normal(), rng.gamma(0.3), rng.nextFloat(), rng.int(0, 999)];
    rng.restoreState(state);
    assert.deepEqual([rng.normal(), rng.gamma(0.3), rng.nextFloat(), rng.int(0, 999)], expected);
    const copy = Rng.fromState(state);
    assert.deepEqual(
      [copy.normal(), copy.gamma(0.3), copy.nextFloat(), copy.int(0, 999)],
      expected,
    );
  });

  it("rejects a malformed state", () => {
    for (const bad of [
      null,
      {},
      { algorithm: "mt", words: [1, 2, 3, 4] },
      { algorithm: "xoroshiro128plus", words: [1, 2, 3] },
      { algorithm: "xoroshiro128plus", words: [1, 2, 3, 2 ** 40] },
    ]) {
      assert.throws(() => Rng.fromState(bad as never), OptionsError);
    }
  });

  it("clone and split give independent copies", () => {
    const a = createRng(5);
    const b = a.clone();
    assert.deepEqual(draws(a, 10), draws(b, 10));
    const c = a.split();
    assert.ok(correlation(draws(a, 2000), draws(c, 2000)) < 0.1);
  });

  it("draws uniform floats in [0, 1) and ints in range with the right mean", () => {
    const rng = createRng(1);
    let sum = 0;
    const counts = new Array<number>(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      assert.ok(u >= 0 && u < 1);
      sum += u;
      const k = rng.int(1, 6);
      counts[k - 1] = (counts[k - 1] as number) + 1;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.01);
    for (const c of counts) assert.ok(Math.abs(c / n - 1 / 6) < 0.01);
    assert.throws(() => rng.int(3, 2), OptionsError);
    assert.throws(() => rng.int(0.5, 2), OptionsError);
    assert.throws(() => rng.uniform(1, 0), OptionsError);
  });

  it("draws normals with the right mean and variance", () => {
    const rng = createRng(2);
    const n = 50_000;
    const xs = Array.from({ length: n }, () => rng.normal(3, 2));
    const mean = xs.reduce((s, v) => s + v, 0) / n;
    const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    assert.ok(Math.abs(mean - 3) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(variance - 4) < 0.15, `variance ${variance}`);
    assert.throws(() => rng.normal(0, -1), OptionsError);
    assert.throws(() => rng.normal(Number.NaN, 1), OptionsError);
  });

  it("draws gammas with mean shape*scale and variance shape*scale^2, also for shape < 1", () => {
    const rng = createRng(3);
    for (const [shape, scale] of [
      [0.3, 1],
      [2.5, 2],
    ] as const) {
      const n = 50_000;
      const xs = Array.from({ length: n }, () => rng.gamma(shape, scale));
      const mean = xs.reduce((s, v) => s + v, 0) / n;
      const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      assert.ok(xs.every((x) => x >= 0));
      assert.ok(Math.abs(mean / (shape * scale) - 1) < 0.04, `mean ${mean}`);
      assert.ok(Math.abs(variance / (shape * scale * scale) - 1) < 0.1, `variance ${variance}`);
    }
    assert.throws(() => rng.gamma(0), OptionsError);
    assert.throws(() => rng.gamma(-1), OptionsError);
    assert.throws(() => rng.gamma(Number.NaN), OptionsError);
  });

  it("draws Dirichlet vectors that sum to 1 with mean alpha / sum(alpha)", () => {
    const rng = createRng(4);
    const alpha = [0.5, 1, 2, 4.5];
    const total = alpha.reduce((s, v) => s + v, 0);
    const n = 20_000;
    const mean = new Float64Array(alpha.length);
    for (let i = 0; i < n; i++) {
      const p = rng.dirichlet(alpha);
      const s = p.reduce((a, v) => a + v, 0);
      assert.ok(Math.abs(s - 1) < 1e-12);
      for (let j = 0; j < p.length; j++) mean[j] = (mean[j] as number) + (p[j] as number) / n;
    }
    alpha.forEach((a, j) => {
      assert.ok(Math.abs((mean[j] as number) - a / total) < 0.01, `component ${j}`);
    });
    const sym = rng.dirichlet(0.1, 10);
    assert.equal(sym.length, 10);
    assert.ok(Math.abs(sym.reduce((a, v) => a + v, 0) - 1) < 1e-12);
    assert.throws(() => rng.dirichlet([]), OptionsError);
    assert.throws(() => rng.dirichlet([1, 0]), OptionsError);
    assert.throws(() => rng.dirichlet(1), OptionsError);
    assert.throws(() => rng.dirichlet(-1, 3), OptionsError);
  });

  it("shuffles into a permutation, repeatably", () => {
    const a = createRng(9).shuffle(Array.from({ length: 50 }, (_, i) => i));
    const b = createRng(9).shuffle(Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(a, b);
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.notDeepEqual(
      a,
      Array.from({ length: 50 }, (_, i) => i),
    );
    const perm = createRng(9).permutation(1000);
    assert.deepEqual(
      [...perm].sort((x, y) => x - y),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.throws(() => createRng(9).permutation(-1), OptionsError);
  });

  it("samples without replacement: distinct, in range, uniform over positions", () => {
    const rng = createRng(11);
    const counts = new Array<number>(20).fill(0);
    for (let t = 0; t < 5000; t++) {
      const s = rng.sampleWithoutReplacement(20, 5);
      assert.equal(new Set(s).size, 5);
      for (const v of s) {
        assert.ok(Number.isInteger(v) && v >= 0 && v < 20);
        counts[v] = (counts[v] as number) + 1;
      }
    }
    for (const c of counts) assert.ok(Math.abs(c / 5000 - 0.25) < 0.03);
    assert.equal(rng.sampleWithoutReplacement(10 ** 12, 3).length, 3);
    assert.deepEqual(rng.sampleWithoutReplacement(5, 0), []);
    assert.throws(() => rng.sampleWithoutReplacement(3, 4), OptionsError);
    assert.throws(() => rng.sampleWithoutReplacement(-3, 1), OptionsError);
    assert.throws(() => rng.sampleWithoutReplacement(3, 1.5), OptionsError);
    assert.throws(() => rng.choice([]), OptionsError);
  });
});
