import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { FilteredDataset } from "../../src/data/filtered-dataset.js";

describe("FilteredDataset", () => {
  const data = ["a", "b", "c", "d"];
  const targets = [0, 1, 2, 3];

  it("is a view through its indices, with transforms", () => {
    const view = new FilteredDataset(
      [3, 1],
      data,
      targets,
      (x) => x.toUpperCase(),
      (y) => y * 10,
    );
    assert.equal(view.length, 2);
    assert.deepEqual(view.get(0), { x: "D", y: 30 });
    assert.deepEqual(
      [...view],
      [
        { x: "D", y: 30 },
        { x: "B", y: 10 },
      ],
    );
    assert.equal(view.targetAt(1), 1);
    assert.deepEqual(new FilteredDataset([0], data).get(0), { x: "a", y: undefined });
  });

  it("rejects data and targets of different lengths and bad indices", () => {
    assert.throws(() => new FilteredDataset([0], data, [1, 2]), /targets\.length/);
    assert.throws(() => new FilteredDataset([4], data, targets), /indices\[0\]/);
    assert.throws(() => new FilteredDataset([-1], data), OptionsError);
    assert.throws(() => new FilteredDataset([0.5], data), OptionsError);
    assert.throws(() => new FilteredDataset([0], data).get(1), OptionsError);
  });
});
