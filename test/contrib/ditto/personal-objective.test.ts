import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  dittoObjective,
  dittoPenaltyGradient,
} from "../../../src/contrib/ditto/personal-objective.js";

describe("Ditto's personal objective", () => {
  it("adds (λ/2)‖v − x‖² to the loss and λ (v − x) to the gradient (by hand)", () => {
    const v = new Float32Array([1, 2, -1]);
    const x = new Float32Array([0, 4, -1]);
    // ‖v − x‖² = 1 + 4 + 0 = 5
    assert.equal(dittoObjective(0.25, v, x, 0.2), 0.25 + 0.1 * 5);
    assert.equal(dittoObjective(0.25, v, x, 0), 0.25);
    assert.deepEqual([...dittoPenaltyGradient(v, x, 0.5)], [0.5, -1, 0]);
  });

  it("gradient descent on it ends at (c + λ x)/(1 + λ) for F(v) = ½‖v − c‖²", () => {
    const c = [3, -1];
    const x = new Float32Array([1, 1]);
    for (const lambda of [0, 1, 9]) {
      const v = new Float32Array(2);
      const pen = new Float32Array(2);
      for (let step = 0; step < 300; step++) {
        dittoPenaltyGradient(v, x, lambda, pen);
        for (const i of [0, 1])
          v[i] =
            (v[i] as number) - 0.05 * ((v[i] as number) - (c[i] as number) + (pen[i] as number));
      }
      for (const i of [0, 1]) {
        const expected = ((c[i] as number) + lambda * (x[i] as number)) / (1 + lambda);
        assert.ok(Math.abs((v[i] as number) - expected) < 1e-4, `λ ${lambda}: ${v[i]}`);
      }
      // The optimum's objective is below its neighbours'.
      const loss = (w: Float32Array) =>
        dittoObjective(0.5 * ((w[0]! - c[0]!) ** 2 + (w[1]! - c[1]!) ** 2), w, x, lambda);
      const near = Float32Array.from(v, (vi, i) => vi + (i === 0 ? 0.01 : -0.01));
      assert.ok(loss(v) < loss(near));
    }
  });

  it("rejects a negative λ and mismatched lengths", () => {
    const v = new Float32Array(2);
    assert.throws(() => dittoObjective(0, v, v, -1), /`lambda`/);
    assert.throws(() => dittoPenaltyGradient(v, new Float32Array(3), 1), /global\.length/);
    assert.throws(() => dittoPenaltyGradient(v, v, 1, new Float32Array(1)), /out\.length/);
  });
});
