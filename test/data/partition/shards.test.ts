import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { labelStatistics, shardsPartition } from "../../../src/data/partition/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertExactCover, balancedLabels, plain } from "../../fixtures/data/labels.js";

describe("shardsPartition", () => {
  const labels = balancedLabels(10, 300); // 3000 samples

  it("gives each client 2 shards of equal size, so at most 2 classes when shards align", () => {
    const parts = shardsPartition(labels, 50, createRng(4)); // 100 shards of 30; classes of 300
    assertExactCover(parts, labels.length);
    assert.ok(parts.every((p) => p.length === 60));
    const stats = labelStatistics(labels, parts, 10);
    for (const row of stats.counts) {
      assert.ok(row.filter((c) => c > 0).length <= 2);
      assert.ok(
        row.every((c) => c % 30 === 0),
        "whole shards",
      );
    }
  });

  it("generalises to K shards per client and uneven shard sizes", () => {
    const parts = shardsPartition(labels, 7, createRng(4), { shardsPerClient: 3 });
    assertExactCover(parts, labels.length);
    const stats = labelStatistics(labels, parts, 10);
    // 21 shards of 142 or 143 samples: a shard spans at most 2 classes.
    for (const row of stats.counts) assert.ok(row.filter((c) => c > 0).length <= 6);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 3);
  });

  it("is a pure function of the generator's state", () => {
    assert.deepEqual(
      plain(shardsPartition(labels, 20, createRng(1))),
      plain(shardsPartition(labels, 20, createRng(1))),
    );
    assert.notDeepEqual(
      plain(shardsPartition(labels, 20, createRng(1))),
      plain(shardsPartition(labels, 20, createRng(2))),
    );
  });

  it("rejects bad shard counts", () => {
    for (const k of [0, 1.5, Number.NaN, -2])
      assert.throws(
        () => shardsPartition(labels, 10, createRng(1), { shardsPerClient: k }),
        (e: unknown) => e instanceof OptionsError && e.option === "shardsPerClient",
      );
    assert.throws(
      () => shardsPartition(labels, 1000, createRng(1), { shardsPerClient: 4 }),
      (e: unknown) => e instanceof OptionsError && e.option === "shardsPerClient",
    );
    assert.throws(() => shardsPartition(labels, 3001, createRng(1)), OptionsError);
  });
});
