import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatAggregator, parseAggregator } from "../../../src/contrib/robust/aggregator-spec.js";
import {
  assertAggregatorFits,
  needsAllUpdates,
  robustAggregate,
} from "../../../src/contrib/robust/robust-aggregate.js";
import { OptionsError } from "../../../src/core/errors.js";

describe("--aggregator specs", () => {
  it("parses every aggregator", () => {
    assert.deepEqual(parseAggregator("fedavg"), { kind: "mean" });
    assert.deepEqual(parseAggregator("mean"), { kind: "mean" });
    assert.deepEqual(parseAggregator("median"), { kind: "median" });
    assert.deepEqual(parseAggregator("trimmed-mean"), { kind: "trimmed-mean", beta: 0.2 });
    assert.deepEqual(parseAggregator("trimmed-mean:0.1"), { kind: "trimmed-mean", beta: 0.1 });
    assert.deepEqual(parseAggregator("krum:2"), { kind: "krum", f: 2 });
    assert.deepEqual(parseAggregator("multi-krum:2:5"), { kind: "multi-krum", f: 2, m: 5 });
    assert.deepEqual(parseAggregator("bulyan:1"), { kind: "bulyan", f: 1 });
    for (const text of ["median", "trimmed-mean:0.1", "krum:2", "multi-krum:2:5", "bulyan:1"])
      assert.equal(formatAggregator(parseAggregator(text)), text);
  });

  it("rejects bad specs, naming --aggregator", () => {
    for (const text of [
      "",
      "krum",
      "krum:-1",
      "krum:1.5",
      "krum:x",
      "multi-krum:2",
      "multi-krum:2:0",
      "trimmed-mean:0.5",
      "trimmed-mean:-0.1",
      "trimmed-mean:",
      "median:1",
      "geomed",
    ])
      assert.throws(
        () => parseAggregator(text),
        (e: unknown) => e instanceof OptionsError && e.option === "--aggregator",
        text,
      );
  });

  it("checks at start-up that the round is big enough", () => {
    assert.throws(
      () => assertAggregatorFits(parseAggregator("bulyan:2"), 10),
      (e: unknown) => e instanceof OptionsError && e.option === "--aggregator",
    );
    assertAggregatorFits(parseAggregator("bulyan:2"), 11);
    assert.throws(() => assertAggregatorFits(parseAggregator("multi-krum:1:8"), 5), OptionsError);
    assert.equal(needsAllUpdates(parseAggregator("fedavg")), false);
    assert.equal(needsAllUpdates(parseAggregator("krum:1")), true);
  });

  it("dispatches to each aggregator", () => {
    const updates = [[0], [1], [2], [10], [11]].map((r) => Float32Array.from(r));
    const weights = [1, 1, 1, 1, 2];
    const run = (text: string) => [...robustAggregate(parseAggregator(text), updates, weights)];
    assert.deepEqual(run("mean"), [35 / 6].map(Math.fround));
    assert.deepEqual(run("median"), [2]);
    assert.deepEqual(run("trimmed-mean:0.2"), [Math.fround(13 / 3)]);
    assert.deepEqual(run("krum:1"), [1]);
    assert.deepEqual(run("multi-krum:1:2"), [0.5]);
    assert.throws(() => run("bulyan:1"), OptionsError);
  });
});
