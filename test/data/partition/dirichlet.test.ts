import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { DataError } from "../../../src/data/errors.js";
import {
  dirichletPartition,
  labelStatistics,
  meanLabelEntropy,
} from "../../../src/data/partition/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertExactCover, balancedLabels, plain } from "../../fixtures/data/labels.js";

describe("dirichletPartition", () => {
  const labels = balancedLabels(10, 400);

  it("assigns every sample exactly once and meets the minimum size", () => {
    for (const alpha of [0.1, 0.5, 5]) {
      const parts = dirichletPartition(labels, 20, createRng(3), { alpha });
      assertExactCover(parts, labels.length);
      assert.ok(
        parts.every((p) => p.length >= 10),
        `alpha ${alpha}: every client >= 10`,
      );
    }
    const parts = dirichletPartition(labels, 20, createRng(3), { alpha: 0.5, minSize: 100 });
    assert.ok(parts.every((p) => p.length >= 100));
  });

  it("is a pure function of the generator's state", () => {
    const a = dirichletPartition(labels, 20, createRng(9), { alpha: 0.3 });
    const b = dirichletPartition(labels, 20, createRng(9), { alpha: 0.3 });
    const c = dirichletPartition(labels, 20, createRng(10), { alpha: 0.3 });
    assert.deepEqual(plain(a), plain(b));
    assert.notDeepEqual(plain(a), plain(c));
  });

  it("skews labels more as alpha shrinks", () => {
    const entropy = (alpha: number) => {
      let sum = 0;
      for (const seed of [1, 2, 3]) {
        const parts = dirichletPartition(labels, 20, createRng(seed), { alpha });
        sum += meanLabelEntropy(labelStatistics(labels, parts, 10));
      }
      return sum / 3;
    };
    const h = [0.05, 0.3, 1, 100].map(entropy);
    for (let i = 1; i < h.length; i++)
      assert.ok((h[i] as number) > (h[i - 1] as number), `entropies ${h.join(", ")} increase`);
    assert.ok((h[3] as number) > 3.2, "near-uniform labels at alpha 100 (log2 10 = 3.32)");
    assert.ok((h[0] as number) < 1.6, "strong skew at alpha 0.05");
  });

  it("rejects bad parameters with errors naming them", () => {
    const rng = createRng(1);
    for (const alpha of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "0.5"])
      assert.throws(
        () => dirichletPartition(labels, 10, rng, { alpha: alpha as number }),
        (e: unknown) => e instanceof OptionsError && e.option === "alpha",
      );
    assert.throws(
      () => dirichletPartition(labels, 10, rng, { alpha: 1, minSize: 1.5 }),
      (e: unknown) => e instanceof OptionsError && e.option === "minSize",
    );
    assert.throws(
      () => dirichletPartition(labels, 500, rng, { alpha: 1 }),
      (e: unknown) => e instanceof OptionsError && e.option === "minSize" && /5000/.test(e.message),
    );
    assert.throws(() => dirichletPartition(labels, 5000, rng, { alpha: 1 }), OptionsError);
    assert.throws(
      () => dirichletPartition(labels, 4001, rng, { alpha: 1, minSize: 0 }),
      OptionsError,
    );
    assert.throws(
      () => dirichletPartition(labels, 10, rng, { alpha: 1, numClasses: 5 }),
      DataError,
    );
  });

  it("gives up after maxRetries with a clear DataError", () => {
    assert.throws(
      () =>
        dirichletPartition(labels, 100, createRng(1), { alpha: 0.01, minSize: 39, maxRetries: 3 }),
      (e: unknown) =>
        e instanceof DataError && /no draw in 3/.test(e.message) && /at least 39/.test(e.message),
    );
  });
});
