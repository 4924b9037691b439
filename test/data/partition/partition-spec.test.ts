import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import {
  formatPartition,
  labelEntropy,
  labelStatistics,
  parsePartition,
  partitionLabels,
} from "../../../src/data/partition/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertExactCover, balancedLabels } from "../../fixtures/data/labels.js";

describe("parsePartition", () => {
  it("parses every scheme and round-trips through formatPartition", () => {
    const cases = {
      iid: { kind: "iid" },
      natural: { kind: "natural" },
      "dirichlet:0.5": { kind: "dirichlet", alpha: 0.5 },
      "dirichlet:1e-1": { kind: "dirichlet", alpha: 0.1 },
      "shards:3": { kind: "shards", shardsPerClient: 3 },
      shards: { kind: "shards", shardsPerClient: 2 },
      "pathological:2": { kind: "pathological", classesPerClient: 2 },
      "quantity:0.3": { kind: "quantity", alpha: 0.3 },
      "powerlaw:0": { kind: "powerlaw", exponent: 0 },
    } as const;
    for (const [text, spec] of Object.entries(cases)) {
      assert.deepEqual(parsePartition(text), spec, text);
      assert.deepEqual(parsePartition(formatPartition(spec)), spec);
    }
  });

  it("rejects malformed strings with an OptionsError naming --partition", () => {
    for (const bad of [
      "",
      "dirichlet",
      "dirichlet:",
      "dirichlet:0",
      "dirichlet:-0.5",
      "dirichlet:NaN",
      "dirichlet:Infinity",
      "dirichlet:abc",
      "dirichlet:0x10",
      "shards:0",
      "shards:1.5",
      "pathological",
      "pathological:two",
      "iid:3",
      "label-skew",
      42,
      undefined,
    ])
      assert.throws(
        () => parsePartition(bad),
        (e: unknown) => e instanceof OptionsError && e.option === "--partition",
        String(bad),
      );
    assert.throws(
      () => parsePartition("nope", "partition"),
      (e: unknown) => e instanceof OptionsError && e.option === "partition",
    );
  });
});

describe("partitionLabels", () => {
  const labels = balancedLabels(10, 100);
  it("runs the partitioner the spec names", () => {
    for (const text of [
      "iid",
      "dirichlet:0.5",
      "shards:2",
      "pathological:3",
      "quantity:1",
      "powerlaw:1",
    ])
      assertExactCover(
        partitionLabels(labels, 10, createRng(1), parsePartition(text)),
        labels.length,
      );
    assert.throws(
      () => partitionLabels(labels, 10, createRng(1), { kind: "natural" }),
      OptionsError,
    );
  });
});

describe("label statistics", () => {
  it("counts classes per client, as JSON-safe data", () => {
    const labels = Uint8Array.of(0, 1, 1, 2, 2, 2);
    const stats = labelStatistics(labels, [Int32Array.of(0, 1), Int32Array.of(2, 3, 4, 5)], 3);
    assert.deepEqual(JSON.parse(JSON.stringify(stats)), {
      numClasses: 3,
      counts: [
        [1, 1, 0],
        [0, 1, 3],
      ],
      sizes: [2, 4],
    });
    assert.equal(labelEntropy([5, 5]), 1);
    assert.equal(labelEntropy([7, 0]), 0);
    assert.equal(labelEntropy([0, 0]), 0);
  });
});
