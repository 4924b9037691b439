import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AdaptiveServerOptimizer,
  type AdaptiveServerOptimizerOptions,
  type SecondMomentRule,
} from "../../../src/contrib/fedopt/adaptive-server-optimizer.js";
import { ServerMomentumOptimizer } from "../../../src/contrib/fedopt/server-momentum.js";
import { OptionsError } from "../../../src/core/errors.js";
import { CheckpointError } from "../../../src/kit/errors.js";
import type { ServerOptimizer } from "../../../src/kit/server-optimizer.js";
import { createRng } from "../../../src/reproducibility/index.js";

const f = Math.fround;

/**
 * An independent reference, written from the paper's equations with plain arrays of float64.
 * `round32` rounds the state (m, v) and x to float32 after each round, as a checkpoint must.
 */
function reference(
  o: Required<AdaptiveServerOptimizerOptions>,
  x0: readonly number[],
  deltas: readonly (readonly number[])[],
  round32: boolean,
): number[] {
  const r = round32 ? f : (v: number) => v;
  let x = x0.map(r);
  let m = x0.map(() => 0);
  let v = x0.map(() => 0);
  deltas.forEach((delta, round) => {
    const t = round + 1;
    const mt = m.map((mi, i) => o.beta1 * mi + (1 - o.beta1) * (delta[i] as number));
    const vt = v.map((vi, i) => {
      const d2 = (delta[i] as number) ** 2;
      if (o.rule === "adagrad") return vi + d2;
      if (o.rule === "adam") return o.beta2 * vi + (1 - o.beta2) * d2;
      return vi - (1 - o.beta2) * d2 * Math.sign(vi - d2);
    });
    const eta = o.biasCorrection
      ? (o.serverLr * Math.sqrt(1 - o.beta2 ** t)) / (1 - o.beta1 ** t)
      : o.serverLr;
    x = x.map((xi, i) => r(xi + (eta * (mt[i] as number)) / (Math.sqrt(vt[i] as number) + o.tau)));
    m = mt.map(r);
    v = vt.map(r);
  });
  return x;
}

function randomDeltas(seed: number, rounds: number, n: number): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: rounds }, (_, t) =>
    // Shrinking, sign-changing pseudo-gradients, with exact zeros, as late rounds give.
    Float64Array.from({ length: n }, (_, i) =>
      i % 7 === 0 ? 0 : (rng.nextFloat() - 0.4) / (t + 1),
    ),
  );
}

function run(
  opt: ServerOptimizer,
  x0: Float32Array,
  deltas: readonly Float64Array[],
): Float32Array {
  const x = x0.slice();
  for (const delta of deltas) opt.step(x, delta);
  return x;
}

function bits(x: Float32Array): number[] {
  return [...new Uint32Array(x.buffer, x.byteOffset, x.length)];
}

const paper = { serverLr: 0.1, beta1: 0.9, beta2: 0.999, tau: 1e-3, biasCorrection: false };

describe("FedAvgM (ServerMomentumOptimizer)", () => {
  it("moves by η Δ in the first round and by η (β m + Δ) after (by hand)", () => {
    const opt = new ServerMomentumOptimizer({ serverLr: 0.5, serverMomentum: 0.5 });
    const x = new Float32Array([1, 2]);
    opt.step(x, new Float64Array([0.5, -1]));
    assert.deepEqual([...x], [1.25, 1.5]); // m = Δ = [0.5, -1]
    opt.step(x, new Float64Array([0.25, 0.5]));
    assert.deepEqual([...x], [1.5, 1.5]); // m = [0.25 + 0.25, -0.5 + 0.5]
    assert.deepEqual([...(opt.captureState().vectors.m ?? [])], [0.5, 0]);
    assert.equal(opt.steps, 2);
  });

  it("matches a float64 reference, and with β = 0 and η = 1 it is x + Δ", () => {
    const deltas = randomDeltas(3, 6, 50);
    const x0 = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const got = run(
      new ServerMomentumOptimizer({ serverLr: 0.3, serverMomentum: 0.9 }),
      x0,
      deltas,
    );
    let x = [...x0];
    let m = x.map(() => 0);
    for (const d of deltas) {
      const mt = m.map((mi, i) => 0.9 * mi + (d[i] as number));
      x = x.map((xi, i) => f(xi + 0.3 * (mt[i] as number)));
      m = mt.map(f);
    }
    assert.deepEqual([...got], x);
    const plain = run(new ServerMomentumOptimizer({ serverLr: 1, serverMomentum: 0 }), x0, deltas);
    let y = [...x0];
    for (const d of deltas) y = y.map((yi, i) => f(yi + (d[i] as number)));
    assert.deepEqual([...plain], y);
  });
});

describe("FedAdagrad, FedYogi, FedAdam (AdaptiveServerOptimizer)", () => {
  it("first round from zero state, by hand: x + η (1 − β1) Δ / (√v1 + τ)", () => {
    const delta = [1, -2, 0, 0.5];
    const x0 = [0.5, 0.25, -1, 0];
    // v1 = Δ² (Adagrad) or (1 − β2) Δ² (Adam; Yogi too: sign(0 − Δ²) = −1).
    const v1 = { adagrad: (d: number) => d * d, yogi: (d: number) => 0.001 * d * d };
    const cases: [SecondMomentRule, (d: number) => number][] = [
      ["adagrad", v1.adagrad],
      ["yogi", v1.yogi],
      ["adam", v1.yogi],
    ];
    for (const [rule, v] of cases) {
      const opt = new AdaptiveServerOptimizer({ rule, ...paper, biasCorrection: false });
      const x = new Float32Array(x0);
      opt.step(x, new Float64Array(delta));
      const expected = x0.map((xi, i) => {
        const d = delta[i] as number;
        return xi + (0.1 * 0.1 * d) / (Math.sqrt(v(d)) + 1e-3);
      });
      for (const [i, e] of expected.entries())
        assert.ok(Math.abs((x[i] as number) - e) <= 1e-7, `${rule}[${i}]: ${x[i]} vs ${e}`);
      // Adam's first step is ≈ η (1 − β1)/√(1 − β2) ≈ 3.16 η per coordinate, whatever |Δ|:
      // 0.01 / (√0.001 + 0.001) = 0.306535.
      if (rule === "adam") assert.ok(Math.abs((x[0] as number) - 0.5 - 0.306535) < 1e-6);
      assert.equal(x[2], -1); // Δ = 0 moves nothing: 0 / (0 + τ)
    }
  });

  it("Yogi's second round, by hand: v grows by (1 − β2) Δ² while v < Δ², shrinks when v > Δ²", () => {
    const opt = new AdaptiveServerOptimizer({ rule: "yogi", ...paper, beta2: 0.5 });
    const x = new Float32Array(2);
    opt.step(x, new Float64Array([2, 2])); // v1 = 0.5 · 4 = 2
    opt.step(x, new Float64Array([1, 4])); // v2 = 2 − 0.5·1·sign(2 − 1) = 1.5; 2 + 0.5·16 = 10
    assert.deepEqual([...(opt.captureState().vectors.v ?? [])], [1.5, 10]);
    // m2 = 0.9 · 0.2 + 0.1 Δ2
    assert.deepEqual([...(opt.captureState().vectors.m ?? [])], [f(0.28), f(0.58)]);
  });

  it("Adam's bias correction makes the first step ≈ η sign(Δ) (Kingma and Ba)", () => {
    const opt = new AdaptiveServerOptimizer({
      rule: "adam",
      ...paper,
      tau: 1e-12,
      biasCorrection: true,
    });
    const x = new Float32Array(3);
    opt.step(x, new Float64Array([3, -0.01, 1e-4]));
    for (const [i, s] of [1, -1, 1].entries())
      assert.ok(Math.abs((x[i] as number) - 0.1 * s) < 1e-6, `${x[i]}`);
  });

  it("match the float64 reference bit for bit over several rounds, and stay near the unrounded one", () => {
    const deltas = randomDeltas(11, 8, 64);
    const x0 = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i) / 4);
    for (const rule of ["adagrad", "yogi", "adam"] as const)
      for (const biasCorrection of rule === "adam" ? [false, true] : [false]) {
        const o = { rule, ...paper, serverLr: 0.03, beta2: 0.99, biasCorrection };
        const got = run(new AdaptiveServerOptimizer(o), x0, deltas);
        assert.deepEqual(
          [...got],
          reference(
            o,
            [...x0],
            deltas.map((d) => [...d]),
            true,
          ),
          rule,
        );
        const exact = reference(
          o,
          [...x0],
          deltas.map((d) => [...d]),
          false,
        );
        for (const [i, e] of exact.entries())
          assert.ok(Math.abs((got[i] as number) - e) < 1e-5, `${rule}[${i}]`);
      }
  });

  it("reject biasCorrection outside FedAdam and deltas of the wrong length", () => {
    assert.throws(
      () => new AdaptiveServerOptimizer({ rule: "yogi", ...paper, biasCorrection: true }),
      OptionsError,
    );
    const opt = new AdaptiveServerOptimizer({ rule: "adam", ...paper });
    assert.throws(() => opt.step(new Float32Array(2), new Float64Array(3)), /delta\.length/);
    opt.step(new Float32Array(2), new Float64Array(2));
    assert.throws(() => opt.step(new Float32Array(3), new Float64Array(3)), /x\.length/);
  });
});

describe("server optimizer state", () => {
  const makers: [string, () => ServerOptimizer][] = [
    ["fedavgm", () => new ServerMomentumOptimizer({ serverLr: 0.3, serverMomentum: 0.9 })],
    ["fedadagrad", () => new AdaptiveServerOptimizer({ rule: "adagrad", ...paper })],
    ["fedyogi", () => new AdaptiveServerOptimizer({ rule: "yogi", ...paper })],
    [
      "fedadam",
      () => new AdaptiveServerOptimizer({ rule: "adam", ...paper, biasCorrection: true }),
    ],
  ];

  it("capture → restore into a fresh optimizer gives the same next steps, bit for bit", () => {
    const deltas = randomDeltas(5, 6, 33);
    const x0 = Float32Array.from({ length: 33 }, (_, i) => i / 33);
    for (const [name, make] of makers) {
      const straight = run(make(), x0, deltas);
      const first = make();
      const x = run(first, x0, deltas.slice(0, 3));
      // Through JSON-like copies, as a checkpoint stores them.
      const captured = first.captureState();
      const saved = {
        vectors: Object.fromEntries(
          Object.entries(captured.vectors).map(([k, v]) => [k, Float32Array.from(v)]),
        ),
        json: JSON.parse(JSON.stringify(captured.json)),
      };
      const resumed = make();
      resumed.restoreState(saved);
      const after = run(resumed, x, deltas.slice(3));
      assert.deepEqual(bits(after), bits(straight), name);
    }
  });

  it("captures copies, restores a fresh state, and rejects a foreign one", () => {
    for (const [name, make] of makers) {
      const fresh = make().captureState();
      assert.deepEqual(fresh, { vectors: {}, json: { steps: 0 } }, name);
      const opt = make();
      const x = new Float32Array([1, 2]);
      opt.step(x, new Float64Array([0.5, 0.5]));
      const state = opt.captureState();
      for (const v of Object.values(state.vectors)) v.fill(99);
      assert.notDeepEqual(opt.captureState(), state, name);
      const restarted = make();
      restarted.restoreState(opt.captureState());
      restarted.restoreState(fresh);
      const y = new Float32Array([1, 2]);
      const z = new Float32Array([1, 2]);
      restarted.step(y, new Float64Array([0.5, 0.5]));
      make().step(z, new Float64Array([0.5, 0.5]));
      assert.deepEqual(bits(y), bits(z), name);
      assert.throws(
        () => restarted.restoreState({ vectors: {}, json: { steps: 2 } }),
        CheckpointError,
      );
      assert.throws(() => restarted.restoreState({ vectors: {}, json: null }), CheckpointError);
      assert.throws(
        () => restarted.restoreState({ vectors: { m: new Float32Array(2) }, json: { steps: -1 } }),
        CheckpointError,
      );
    }
    const adam = new AdaptiveServerOptimizer({ rule: "adam", ...paper });
    assert.throws(
      () => adam.restoreState({ vectors: { m: new Float32Array(2) }, json: { steps: 1 } }),
      /vectors m, v/,
    );
    assert.throws(
      () =>
        adam.restoreState({
          vectors: { m: new Float32Array(2), v: new Float32Array(3) },
          json: { steps: 1 },
        }),
      /length/,
    );
  });
});
