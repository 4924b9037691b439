import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import {
  deserializeModel,
  type HasFlatParameters,
  serializeModel,
} from "../../src/core/serialize.js";

/** Two "layers" of plain arrays: enough to check the contract without an engine. */
class TwoLayer implements HasFlatParameters {
  w = new Float32Array([1, 2, 3]);
  b = new Float32Array([4, 5]);
  get numParameters(): number {
    return this.w.length + this.b.length;
  }
  getFlatParameters(out = new Float32Array(this.numParameters)): Float32Array {
    out.set(this.w, 0);
    out.set(this.b, this.w.length);
    return out;
  }
  setFlatParameters(flat: Float32Array): void {
    this.w.set(flat.subarray(0, this.w.length));
    this.b.set(flat.subarray(this.w.length));
  }
}

describe("serializeModel / deserializeModel", () => {
  it("round-trips all parameters in a fixed order", () => {
    const model = new TwoLayer();
    assert.deepEqual([...serializeModel(model)], [1, 2, 3, 4, 5]);
    deserializeModel(model, new Float32Array([9, 8, 7, 6, 5]));
    assert.deepEqual([...model.w], [9, 8, 7]);
    const out = new Float32Array(5);
    assert.equal(serializeModel(model, out), out);
  });

  it("rejects vectors of the wrong length or type", () => {
    const model = new TwoLayer();
    assert.throws(() => deserializeModel(model, new Float32Array(4)), /flat\.length.*5/);
    assert.throws(
      () => deserializeModel(model, [1, 2, 3, 4, 5] as unknown as Float32Array),
      OptionsError,
    );
    assert.throws(() => serializeModel(model, new Float32Array(6)), /out\.length/);
  });
});
