import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clipToNorm, l2Norm } from "../../../src/contrib/privacy/l2-clipping.js";
import { OptionsError } from "../../../src/core/errors.js";
import { createRng } from "../../../src/reproducibility/rng.js";

describe("L2 clipping", () => {
  it("scales an update beyond the clip to norm C and keeps its direction", () => {
    const update = Float32Array.from([3, 4]); // norm 5
    const { update: clipped, norm, withinClip } = clipToNorm(update, 1);
    assert.equal(norm, 5);
    assert.equal(withinClip, false);
    assert.ok(Math.abs(clipped[0]! - 0.6) < 1e-6 && Math.abs(clipped[1]! - 0.8) < 1e-6);
    assert.deepEqual([...update], [3, 4], "the input is left as it was");
  });

  it("leaves an update within the clip unchanged (scale 1) and flags it", () => {
    const update = Float32Array.from([3, -4]);
    const result = clipToNorm(update, 5);
    assert.equal(result.scale, 1);
    assert.equal(result.withinClip, true, "norm == C counts as within the clip");
    assert.deepEqual([...result.update], [...update]);
  });

  it("gives every clipped update a norm <= C, float32 rounding included", () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 300; trial++) {
      const length = 1 + rng.int(0, 2000);
      const update = new Float32Array(length);
      const spread = 10 ** rng.uniform(-4, 3);
      for (let i = 0; i < length; i++) update[i] = rng.normal(0, spread);
      const clip = 10 ** rng.uniform(-3, 1);
      const { update: clipped, norm } = clipToNorm(update, clip);
      const after = l2Norm(clipped);
      assert.ok(after <= clip, `trial ${trial}: ${after} > ${clip}`);
      if (norm > clip) assert.ok(after > clip * (1 - 1e-5), "clipped to C, not far below it");
    }
  });

  it("rejects a clip <= 0, naming it", () => {
    assert.throws(
      () => clipToNorm(new Float32Array(2), 0),
      (e: unknown) => e instanceof OptionsError && e.option === "clip",
    );
  });
});
