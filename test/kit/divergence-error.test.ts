import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstNonFiniteValue } from "../../src/kit/divergence-error.js";

describe("firstNonFiniteValue", () => {
  it("names the first non-finite value of the first vector that has one", () => {
    assert.equal(firstNonFiniteValue({ model: new Float32Array([1, 2, 3]) }), undefined);
    assert.equal(
      firstNonFiniteValue({
        model: new Float32Array([0, -0, 1e38]),
        delta: new Float32Array([1, Number.POSITIVE_INFINITY, Number.NaN]),
      }),
      "delta[1] is Infinity",
    );
    assert.equal(
      firstNonFiniteValue({ model: new Float32Array([5, Number.NaN]) }),
      "model[1] is NaN",
    );
    assert.equal(
      firstNonFiniteValue({ model: new Float32Array([Number.NEGATIVE_INFINITY]) }),
      "model[0] is -Infinity",
    );
  });

  it("finds a bad value at any position of the unrolled scan, remainder included", () => {
    for (const length of [1, 7, 8, 9, 17, 23])
      for (let i = 0; i < length; i++)
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
          const v = new Float32Array(length).fill(1);
          v[i] = bad;
          assert.equal(firstNonFiniteValue({ w: v }), `w[${i}] is ${bad}`);
        }
  });
});
