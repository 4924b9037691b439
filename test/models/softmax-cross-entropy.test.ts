import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { softmaxCrossEntropy } from "../../src/models/softmax-cross-entropy.js";

describe("softmaxCrossEntropy", () => {
  it("gives the loss sum, the correct count and the mean-loss gradient", () => {
    const logits = new Float32Array([0, 0, 0, 2, 1, 0]);
    const grad = new Float32Array(6);
    const r = softmaxCrossEntropy(logits, new Int32Array([1, 0]), 3, grad);
    const z = Math.exp(2) + Math.exp(1) + 1;
    assert.ok(Math.abs(r.lossSum - (Math.log(3) + (Math.log(z) - 2))) < 1e-12);
    assert.equal(r.correct, 1, "a tie goes to class 0, so only the second sample is correct");
    const expected = [1 / 3, 1 / 3 - 1, 1 / 3, Math.exp(2) / z - 1, Math.exp(1) / z, 1 / z].map(
      (v) => Math.fround(v / 2),
    );
    assert.deepEqual([...grad], expected);
  });

  it("is stable for large logits", () => {
    const r = softmaxCrossEntropy(new Float32Array([1000, 0, -1000]), new Int32Array([1]), 3);
    assert.ok(Math.abs(r.lossSum - 1000) < 1e-9);
  });

  it("rejects mismatched lengths", () => {
    assert.throws(
      () => softmaxCrossEntropy(new Float32Array(5), new Int32Array(2), 3),
      OptionsError,
    );
    assert.throws(
      () => softmaxCrossEntropy(new Float32Array(6), new Int32Array(2), 3, new Float32Array(5)),
      OptionsError,
    );
  });
});
