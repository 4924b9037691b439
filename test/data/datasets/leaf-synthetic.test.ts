import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { LeafSynthetic } from "../../../src/data/datasets/index.js";
import { ZigguratNormals } from "../../../src/data/datasets/ziggurat.js";
import { createRng } from "../../../src/reproducibility/index.js";

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: ArrayLike<number>) => {
  const m = mean(xs);
  return Math.sqrt(Array.from(xs).reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

describe("LeafSynthetic", () => {
  it("makes each client's data a pure function of (seed, cid), in any order", () => {
    const a = new LeafSynthetic({ numClients: 50, seed: 7 });
    const b = new LeafSynthetic({ numClients: 50, seed: 7 });
    const late = a.generateClient(9);
    for (const cid of [3, 1, 40]) b.generateClient(cid);
    const early = b.generateClient(9);
    assert.deepEqual(early.x, late.x);
    assert.deepEqual(early.y, late.y);
    const other = new LeafSynthetic({ numClients: 50, seed: 8 }).generateClient(9);
    assert.notDeepEqual(other.x.subarray(0, 60), late.x.subarray(0, 60));
    // The number of clients does not change a client's data.
    assert.deepEqual(
      new LeafSynthetic({ numClients: 10_000, seed: 7 }).generateClient(9).y,
      late.y,
    );
  });

  it("draws sizes floor(lognormal(4, 2)) + 50, split 80/20, optionally capped", () => {
    const g = new LeafSynthetic({ numClients: 4000, seed: 1 });
    const sizes = Array.from({ length: 4000 }, (_, cid) => g.clientSize(cid));
    assert.ok(sizes.every((n) => Number.isInteger(n) && n >= 50));
    const sorted = [...sizes].sort((x, y) => x - y);
    const median = sorted[2000] as number;
    // median of floor(e^(4 + 2 Z)) + 50 is floor(e^4) + 50 = 104
    assert.ok(median > 95 && median < 115, `median ${median}`);
    // One sigma either side: e^(4 + 2) = 403 and e^(4 - 2) = 7.4 above the floor of 50.
    const upper = (sorted[Math.round(4000 * 0.8413)] as number) - 50;
    const lower = (sorted[Math.round(4000 * 0.1587)] as number) - 50;
    assert.ok(upper > 330 && upper < 490, `84th percentile ${upper}`);
    assert.ok(lower >= 5 && lower <= 9, `16th percentile ${lower}`);
    for (const cid of [0, 1, 2]) {
      const n = g.clientSize(cid);
      assert.equal(g.trainSize(cid), Math.floor(0.8 * n));
      assert.equal(g.trainSize(cid) + g.testSize(cid), n);
    }
    const capped = new LeafSynthetic({ numClients: 4000, seed: 1, maxClientSize: 120 });
    for (let cid = 0; cid < 4000; cid++)
      assert.equal(capped.clientSize(cid), Math.min(120, sizes[cid] as number));
  });

  it("labels are argmax(W x + b) of the client's model; x ~ N(v, diag(j^-1.2))", () => {
    const g = new LeafSynthetic({
      numClients: 30,
      seed: 3,
      alpha: 0.5,
      beta: 0.5,
      maxClientSize: 4000,
    });
    const cid = [...Array(30).keys()].reduce(
      (best, c) => (g.clientSize(c) > g.clientSize(best) ? c : best),
      0,
    );
    const n = g.clientSize(cid);
    assert.ok(n >= 1000, `a large client (${n})`);
    const { W, b, v } = g.clientModel(cid);
    const { x, y } = g.generateClient(cid);
    for (let s = 0; s < n; s++) {
      let best = 0;
      let bestLogit = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < 10; c++) {
        let logit = b[c] as number;
        for (let j = 0; j < 60; j++) logit += (W[c * 60 + j] as number) * (x[s * 60 + j] as number);
        if (logit > bestLogit) [best, bestLogit] = [c, logit];
      }
      assert.equal(y[s], best);
    }
    for (const j of [0, 9, 59]) {
      const column = Array.from({ length: n }, (_, s) => x[s * 60 + j] as number);
      const sd = (j + 1) ** -0.6;
      assert.ok(
        Math.abs(mean(column) - (v[j] as number)) < (4 * sd) / Math.sqrt(n),
        `mean of feature ${j}`,
      );
      assert.ok(Math.abs(std(column) / sd - 1) < 0.1, `spread of feature ${j}`);
    }
  });

  it("alpha and beta control how much clients' models and feature means differ", () => {
    const spread = (alpha: number, beta: number) => {
      const g = new LeafSynthetic({ numClients: 200, seed: 5, alpha, beta });
      const wMeans: number[] = [];
      const vMeans: number[] = [];
      for (let cid = 0; cid < 200; cid++) {
        const { W, v } = g.clientModel(cid);
        wMeans.push(mean(W));
        vMeans.push(mean(v));
      }
      return { w: std(wMeans), v: std(vMeans) };
    };
    const flat = spread(0, 0);
    const wide = spread(2, 2);
    assert.ok(flat.w < 0.1 && flat.v < 0.3, `Synthetic(0,0): ${JSON.stringify(flat)}`);
    assert.ok(
      Math.abs(wide.w - 2) < 0.4 && Math.abs(wide.v - 2) < 0.4,
      `Synthetic(2,2): ${JSON.stringify(wide)}`,
    );
  });

  it("the IID variant shares one W, b and v = 0 across clients", () => {
    const g = new LeafSynthetic({ numClients: 10, seed: 2, iid: true });
    const m0 = g.clientModel(0);
    const m7 = g.clientModel(7);
    assert.deepEqual(m0.W, m7.W);
    assert.deepEqual(m0.b, m7.b);
    assert.ok(m0.v.every((value) => value === 0));
    assert.notDeepEqual(
      g.generateClient(0).x.subarray(0, 60),
      g.generateClient(7).x.subarray(0, 60),
    );
  });

  it("rejects bad options and client ids", () => {
    const bad: Array<[string, object]> = [
      ["numClients", { numClients: 0, seed: 1 }],
      ["seed", { numClients: 1, seed: -1 }],
      ["alpha", { numClients: 1, seed: 1, alpha: -1 }],
      ["beta", { numClients: 1, seed: 1, beta: Number.NaN }],
      ["maxClientSize", { numClients: 1, seed: 1, maxClientSize: 1 }],
      ["trainFraction", { numClients: 1, seed: 1, trainFraction: 1 }],
      ["iid", { numClients: 1, seed: 1, iid: "yes" }],
    ];
    for (const [option, options] of bad)
      assert.throws(
        () => new LeafSynthetic(options as never),
        (e: unknown) => e instanceof OptionsError && e.option === option,
        option,
      );
    const g = new LeafSynthetic({ numClients: 3, seed: 1 });
    for (const cid of [-1, 3, 1.5])
      assert.throws(
        () => g.generateClient(cid),
        (e: unknown) => e instanceof OptionsError && e.option === "cid",
      );
  });
});

describe("ZigguratNormals", () => {
  it("draws standard normals (moments and tails)", () => {
    const n = 400_000;
    const out = new Float32Array(n);
    new ZigguratNormals(createRng(11)).fill(out, 0, n);
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    let beyond2 = 0;
    let beyond3 = 0;
    for (const z of out) {
      m1 += z;
      m2 += z * z;
      m4 += z ** 4;
      if (Math.abs(z) > 2) beyond2++;
      if (Math.abs(z) > 3) beyond3++;
    }
    assert.ok(Math.abs(m1 / n) < 0.01, `mean ${m1 / n}`);
    assert.ok(Math.abs(m2 / n - 1) < 0.01, `variance ${m2 / n}`);
    assert.ok(Math.abs(m4 / n - 3) < 0.08, `fourth moment ${m4 / n}`);
    assert.ok(Math.abs(beyond2 / n - 0.0455) < 0.002, `P(|z| > 2) ${beyond2 / n}`);
    assert.ok(Math.abs(beyond3 / n - 0.0027) < 0.0005, `P(|z| > 3) ${beyond3 / n}`);
  });
});
