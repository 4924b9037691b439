import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { DataError } from "../../../src/data/errors.js";
import {
  labelStatistics,
  meanLabelEntropy,
  quantitySkewPartition,
} from "../../../src/data/partition/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertExactCover, balancedLabels, plain } from "../../fixtures/data/labels.js";

const spread = (parts: readonly Int32Array[]) => {
  const sizes = parts.map((p) => p.length);
  return Math.max(...sizes) / Math.min(...sizes);
};

describe("quantitySkewPartition", () => {
  const labels = balancedLabels(10, 500);

  it("dirichlet: unequal sizes that grow more unequal as alpha shrinks, labels IID", () => {
    const skewed = quantitySkewPartition(labels, 20, createRng(2), {
      method: "dirichlet",
      alpha: 0.5,
    });
    const flat = quantitySkewPartition(labels, 20, createRng(2), {
      method: "dirichlet",
      alpha: 100,
    });
    assertExactCover(skewed, labels.length);
    assertExactCover(flat, labels.length);
    assert.ok(skewed.every((p) => p.length >= 10));
    assert.ok(spread(skewed) > spread(flat));
    assert.ok(spread(flat) < 2, `alpha 100 gives near-equal sizes (${spread(flat)})`);
    const big = skewed.filter((p) => p.length >= 200);
    const h = meanLabelEntropy(labelStatistics(labels, big, 10));
    assert.ok(h > 3.1, `labels stay near uniform within large clients (${h})`);
  });

  it("power-law: sizes follow rank^-exponent on top of minSize", () => {
    const parts = quantitySkewPartition(labels, 10, createRng(2), {
      method: "power-law",
      exponent: 1,
      minSize: 50,
    });
    assertExactCover(parts, labels.length);
    const sorted = parts.map((p) => p.length).sort((a, b) => b - a);
    // rest = 4500 shared as 1/r over H_10 = 2.929: 1536, 768, 512, ...
    assert.ok(Math.abs((sorted[0] as number) - (50 + 4500 / 2.928968)) <= 1);
    assert.ok(Math.abs((sorted[1] as number) - (50 + 4500 / 2 / 2.928968)) <= 1);
    const equal = quantitySkewPartition(labels, 10, createRng(2), {
      method: "power-law",
      exponent: 0,
    });
    assert.ok(equal.every((p) => p.length === 500));
  });

  it("is a pure function of the generator's state", () => {
    const run = (seed: number) =>
      plain(quantitySkewPartition(labels, 20, createRng(seed), { method: "dirichlet", alpha: 1 }));
    assert.deepEqual(run(4), run(4));
    assert.notDeepEqual(run(4), run(5));
  });

  it("rejects bad parameters", () => {
    const rng = createRng(1);
    assert.throws(
      () => quantitySkewPartition(labels, 10, rng, { method: "dirichlet", alpha: 0 }),
      (e: unknown) => e instanceof OptionsError && e.option === "alpha",
    );
    assert.throws(
      () => quantitySkewPartition(labels, 10, rng, { method: "power-law", exponent: -1 }),
      (e: unknown) => e instanceof OptionsError && e.option === "exponent",
    );
    assert.throws(
      () => quantitySkewPartition(labels, 10, rng, { method: "zipf" } as never),
      (e: unknown) => e instanceof OptionsError && e.option === "method",
    );
    assert.throws(
      () =>
        quantitySkewPartition(labels, 200, rng, {
          method: "dirichlet",
          alpha: 0.05,
          minSize: 20,
          maxRetries: 2,
        }),
      DataError,
    );
  });
});
