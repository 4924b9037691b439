import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { DataError } from "../../../src/data/errors.js";
import { labelStatistics, pathologicalPartition } from "../../../src/data/partition/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertExactCover, balancedLabels, plain } from "../../fixtures/data/labels.js";

describe("pathologicalPartition", () => {
  const labels = balancedLabels(10, 200);

  it("gives each client exactly k classes and covers every sample", () => {
    for (const [clients, k] of [
      [20, 2],
      [13, 3],
      [5, 2],
      [4, 10],
      [1, 10],
    ] as const) {
      const parts = pathologicalPartition(labels, clients, createRng(5), { classesPerClient: k });
      assertExactCover(parts, labels.length);
      const stats = labelStatistics(labels, parts, 10);
      for (const row of stats.counts)
        assert.equal(row.filter((c) => c > 0).length, k, `${clients} clients, k=${k}`);
    }
  });

  it("splits each class evenly among its holders", () => {
    const parts = pathologicalPartition(labels, 20, createRng(6), { classesPerClient: 2 });
    const stats = labelStatistics(labels, parts, 10);
    for (let c = 0; c < 10; c++) {
      const shares = stats.counts.map((row) => row[c] as number).filter((n) => n > 0);
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1, `class ${c}: ${shares}`);
    }
  });

  it("is a pure function of the generator's state", () => {
    const run = (seed: number) =>
      plain(pathologicalPartition(labels, 20, createRng(seed), { classesPerClient: 2 }));
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
  });

  it("rejects k outside [1, classes] and too few clients to cover the classes", () => {
    for (const k of [0, 11, 2.5, Number.NaN, undefined])
      assert.throws(
        () => pathologicalPartition(labels, 20, createRng(1), { classesPerClient: k as number }),
        (e: unknown) => e instanceof OptionsError && e.option === "classesPerClient",
      );
    assert.throws(
      () => pathologicalPartition(labels, 4, createRng(1), { classesPerClient: 2 }),
      (e: unknown) => e instanceof DataError && /8 classes/.test(e.message),
    );
  });
});
