import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdaptiveServerOptimizer } from "../../../src/contrib/fedopt/adaptive-server-optimizer.js";
import { PseudoGradientServer } from "../../../src/contrib/fedopt/pseudo-gradient-server.js";
import { ServerMomentumOptimizer } from "../../../src/contrib/fedopt/server-momentum.js";

function update(cid: number, model: number[], weight: number) {
  return { cid, weight, steps: 1, metrics: {}, vectors: { model: new Float32Array(model) } };
}

describe("PseudoGradientServer", () => {
  it("hands the optimizer Δ = Σ p_k (x_k − x), uniform or weighted (by hand)", () => {
    // x = [1, 1]; clients [3, 1] (n = 1) and [1, 5] (n = 3).
    // Uniform: Δ = ([2, 0] + [0, 4]) / 2 = [1, 2]. Weighted: ([2, 0] + 3 [0, 4]) / 4 = [0.5, 3].
    for (const [weighted, expected] of [
      [false, [2, 3]],
      [true, [1.5, 4]],
    ] as const) {
      const plain = new ServerMomentumOptimizer({ serverLr: 1, serverMomentum: 0 });
      const server = new PseudoGradientServer(new Float32Array([1, 1]), plain, { weighted });
      const before = server.model;
      server.fold(update(0, [3, 1], 1));
      server.fold(update(1, [1, 5], 3));
      server.fold(update(2, [100, 100], 0)); // weight 0 (a dropped client) counts for nothing
      server.finish(0);
      assert.deepEqual([...server.model], expected);
      assert.deepEqual([...before], [1, 1], "the previous round's model is left untouched");
    }
  });

  it("leaves the model and the optimizer alone in a round without clients", () => {
    const optimizer = new AdaptiveServerOptimizer({
      rule: "adam",
      serverLr: 0.1,
      beta1: 0.9,
      tau: 1e-3,
    });
    const server = new PseudoGradientServer(new Float32Array([1, 2]), optimizer);
    server.finish(0);
    assert.deepEqual([...server.model], [1, 2]);
    assert.deepEqual(server.captureState(), { vectors: {}, json: { steps: 0 } });
  });

  it("checkpoints the optimizer: restore + the same round gives the same bits", () => {
    const make = () =>
      new PseudoGradientServer(
        new Float32Array([0.5, -0.5, 2]),
        new AdaptiveServerOptimizer({ rule: "yogi", serverLr: 0.05, beta1: 0.9, tau: 1e-3 }),
      );
    const a = make();
    a.fold(update(0, [1, 0, 2], 5));
    a.finish(0);
    const saved = a.captureState();
    const model = a.model.slice();
    a.fold(update(3, [0, 1, 1], 2));
    a.fold(update(4, [2, 2, 2], 7));
    a.finish(1);
    const b = make();
    b.restoreState(saved, model);
    b.fold(update(3, [0, 1, 1], 2));
    b.fold(update(4, [2, 2, 2], 7));
    b.finish(1);
    assert.deepEqual(new Uint32Array(b.model.buffer), new Uint32Array(a.model.buffer));
    assert.equal((b.captureState().json as { steps: number }).steps, 2);
  });
});
