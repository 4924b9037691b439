import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { DataError } from "../../../src/data/errors.js";
import { iidPartition } from "../../../src/data/partition/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertExactCover, balancedLabels, plain } from "../../fixtures/data/labels.js";

describe("iidPartition", () => {
  const labels = balancedLabels(10, 101);

  it("assigns every sample exactly once, sizes differing by at most one", () => {
    const parts = iidPartition(labels, 7, createRng(1));
    assertExactCover(parts, labels.length);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  });

  it("is a pure function of the generator's state", () => {
    assert.deepEqual(
      plain(iidPartition(labels, 7, createRng(1))),
      plain(iidPartition(labels, 7, createRng(1))),
    );
    assert.notDeepEqual(
      plain(iidPartition(labels, 7, createRng(1))),
      plain(iidPartition(labels, 7, createRng(2))),
    );
  });

  it("works at the edges: one client, and one sample per client", () => {
    assertExactCover(iidPartition(labels, 1, createRng(1)), labels.length);
    const parts = iidPartition(labels, labels.length, createRng(1));
    assertExactCover(parts, labels.length);
    assert.ok(parts.every((p) => p.length === 1));
  });

  it("rejects bad client counts and labels", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, labels.length + 1])
      assert.throws(() => iidPartition(labels, bad, createRng(1)), OptionsError, String(bad));
    assert.throws(
      () => iidPartition([0, 1] as unknown as Uint8Array, 1, createRng(1)),
      OptionsError,
    );
    assert.throws(() => iidPartition(Int32Array.of(0, -3), 1, createRng(1)), DataError);
  });
});
