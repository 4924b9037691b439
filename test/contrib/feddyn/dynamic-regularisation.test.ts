import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FedDynAggregate,
  fedDynGradientTerm,
  updateFedDynClientState,
} from "../../../src/contrib/feddyn/dynamic-regularisation.js";
import { OptionsError } from "../../../src/core/errors.js";

describe("FedDyn's rules", () => {
  it("one round by hand: client state, gradient term, server state and model", () => {
    const x = new Float32Array([1, 0]);
    const theta1 = new Float32Array([2, 0]);
    const theta2 = new Float32Array([0, 2]);
    // Client: g ← 0 − 0.5 (θ1 − x) = [−0.5, 0].
    const g = new Float32Array(2);
    updateFedDynClientState(g, theta1, x, 0.5);
    assert.deepEqual([...g], [-0.5, 0]);
    // Term at θ = [1, 1]: 0.5 ([1, 1] − x) − g = [0.5, 0.5].
    assert.deepEqual([...fedDynGradientTerm(new Float32Array([1, 1]), x, g, 0.5)], [0.5, 0.5]);
    // Server, N = 4: Σ (θ_k − x) = [0, 2]; h = −(0.5/4) [0, 2] = [0, −0.25];
    // x = mean θ − h/α = [1, 1] − [0, −0.5] = [1, 1.5].
    const agg = new FedDynAggregate(2);
    agg.add(theta1, x);
    agg.add(theta2, x);
    const h = new Float32Array(2);
    agg.apply(x, h, 0.5, 4);
    assert.deepEqual([...h], [0, -0.25]);
    assert.deepEqual([...x], [1, 1.5]);
    agg.reset();
    assert.equal(agg.count, 0);
  });

  it("reaches the global optimum where FedAvg stops at the mean of local optima", () => {
    // L_k(θ) = (a_k/2)‖θ − c_k‖²: the optimum of Σ L_k is Σ a_k c_k / Σ a_k. Each client solves
    // its local objective exactly: a_k (θ − c_k) − g_k + α (θ − x) = 0.
    const a = [1, 4, 0.5, 2];
    const c = [
      [1, -2],
      [3, 0],
      [-4, 1],
      [0, 5],
    ];
    const alpha = 0.5;
    const n = a.length;
    const optimum = [0, 1].map(
      (i) => a.reduce((s, ak, k) => s + ak * (c[k]?.[i] as number), 0) / a.reduce((s, v) => s + v),
    );
    const x = new Float32Array(2);
    const h = new Float32Array(2);
    const states = a.map(() => new Float32Array(2));
    const agg = new FedDynAggregate(2);
    for (let round = 0; round < 400; round++) {
      // Half the clients a round, alternating, as partial participation does.
      const sampled = round % 2 === 0 ? [0, 2] : [1, 3];
      agg.reset();
      for (const k of sampled) {
        const ak = a[k] as number;
        const g = states[k] as Float32Array;
        const theta = Float32Array.from(
          [0, 1],
          (i) =>
            (ak * (c[k]?.[i] as number) + (g[i] as number) + alpha * (x[i] as number)) /
            (ak + alpha),
        );
        // The local optimum zeroes the gradient of the local objective.
        const term = fedDynGradientTerm(theta, x, g, alpha);
        for (const i of [0, 1]) {
          const grad = ak * ((theta[i] as number) - (c[k]?.[i] as number)) + (term[i] as number);
          assert.ok(Math.abs(grad) < 1e-5);
        }
        updateFedDynClientState(g, theta, x, alpha);
        agg.add(theta, x);
      }
      agg.apply(x, h, alpha, n);
    }
    for (const i of [0, 1])
      assert.ok(
        Math.abs((x[i] as number) - (optimum[i] as number)) < 1e-3,
        `${x[i]} vs ${optimum[i]}`,
      );
    const fedavg = [0, 1].map((i) => c.reduce((s, ck) => s + (ck[i] as number), 0) / n);
    assert.ok(Math.abs((fedavg[0] as number) - (optimum[0] as number)) > 0.5);
  });

  it("rejects bad input", () => {
    const v = new Float32Array(2);
    assert.throws(() => fedDynGradientTerm(v, v, v, 0), /`alpha`/);
    assert.throws(() => fedDynGradientTerm(v, new Float32Array(3), v, 1), /global\.length/);
    assert.throws(() => updateFedDynClientState(v, new Float32Array(1), v, 1), /theta\.length/);
    const agg = new FedDynAggregate(2);
    assert.throws(() => agg.apply(v, v, 1, 4), OptionsError);
    assert.throws(() => agg.add(new Float32Array([Number.NaN, 0]), v), /theta\[0\]/);
    agg.add(v, v);
    assert.throws(() => agg.apply(v, v, 1, 0), /`numClients`/);
    assert.throws(() => agg.apply(v, new Float32Array(1), 1, 2), /serverState\.length/);
  });
});
