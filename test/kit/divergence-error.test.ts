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
});
