import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FedAvgUplinkPackage } from "../../../src/contrib/fedavg/packages.js";
import { FedAvgServerHandler } from "../../../src/contrib/fedavg/server-handler.js";
import { OptionsError } from "../../../src/core/errors.js";
import { WeightedAverage } from "../../../src/kit/weighted-average.js";

function server(overrides: Partial<ConstructorParameters<typeof FedAvgServerHandler>[0]> = {}) {
  return new FedAvgServerHandler({
    initialParameters: new Float32Array([0, 0, 0]),
    numClients: 20,
    sampleRatio: 0.25,
    globalRound: 3,
    seed: 42,
    ...overrides,
  });
}

function uplink(cid: number, value: number, dataSize: number, loss = 1): FedAvgUplinkPackage {
  return {
    cid,
    modelParameters: new Float32Array([value, value * 2, -value]),
    dataSize,
    metadata: { loss },
  };
}

describe("WeightedAverage", () => {
  it("averages by weight and rejects bad input", () => {
    const avg = new WeightedAverage(2);
    avg.add(new Float32Array([1, 2]), 1);
    avg.add(new Float32Array([4, 8]), 3);
    assert.deepEqual([...avg.result()], [3.25, 6.5]);
    assert.equal(avg.count, 2);
    assert.equal(avg.totalWeight, 4);
    assert.throws(() => avg.add(new Float32Array(3), 1), /vector\.length/);
    assert.throws(() => avg.add(new Float32Array(2), 0), /`weight`/);
    assert.throws(() => avg.add(new Float32Array([Number.NaN, 0]), 1), /vector\[0\]/);
    assert.throws(
      () => avg.add(new Float32Array([0, Number.NEGATIVE_INFINITY]), 1),
      /`vector\[1\]`.*-Infinity/,
    );
    avg.reset();
    assert.throws(() => avg.result(), OptionsError);
  });

  it("matches a plain float64 loop and finds a bad value in every lane of its unrolled loop", () => {
    for (const length of [1, 3, 4, 5, 11]) {
      const avg = new WeightedAverage(length);
      const a = Float32Array.from({ length }, (_, i) => Math.fround(Math.sin(i + 1)));
      const b = Float32Array.from({ length }, (_, i) => Math.fround(Math.cos(i * 3)));
      avg.add(a, 7);
      avg.add(b, 0.3);
      const expected = Float32Array.from(
        { length },
        (_, i) => (0 + 7 * (a[i] as number) + 0.3 * (b[i] as number)) / 7.3,
      );
      assert.deepEqual(avg.result(), expected);
      for (let i = 0; i < length; i++) {
        const v = new Float32Array(length);
        v[i] = Number.NaN;
        assert.throws(() => new WeightedAverage(length).add(v, 1), new RegExp(`vector\\[${i}\\]`));
      }
    }
  });
});

describe("FedAvgServerHandler", () => {
  it("validates its options", () => {
    assert.throws(() => server({ numClients: 0 }), /`numClients`/);
    assert.throws(() => server({ sampleRatio: 0 }), /`sampleRatio`/);
    assert.throws(() => server({ sampleRatio: 1.5 }), /`sampleRatio`/);
    assert.throws(() => server({ sampleRatio: 0.01 }), /floor\(numClients \* sampleRatio\) >= 1/);
    assert.throws(() => server({ globalRound: 0 }), /`globalRound`/);
    assert.throws(() => server({ seed: -1 }), /`seed`/);
    assert.throws(() => server({ initialParameters: new Float32Array() }), /`initialParameters`/);
  });

  it("samples floor(N * ratio) distinct sorted ids, a pure function of (seed, round)", () => {
    const a = server();
    const first = a.sampleClients();
    assert.equal(first.length, 5);
    assert.deepEqual(
      first,
      [...first].sort((x, y) => x - y),
    );
    assert.equal(new Set(first).size, 5);
    assert.deepEqual(a.sampleClients(), first);
    assert.deepEqual(server().sampleClients(), first);
    assert.notDeepEqual(server({ seed: 43 }).sampleClients(), first);
  });

  it("aggregates weighted by data size, in cid order, whatever the arrival order", () => {
    const inOrder = server();
    const shuffled = server();
    const cids = inOrder.sampleClients();
    shuffled.sampleClients();
    const pkgs = cids.map((cid, i) => uplink(cid, 0.1 * (i + 1) + 1e-7 * cid, 10 + i));
    const done = pkgs.map((p) => inOrder.load(p));
    assert.deepEqual(done, [false, false, false, false, true]);
    const reversed = [...pkgs].reverse().map((p) => shuffled.load(p));
    assert.deepEqual(reversed, [false, false, false, false, true]);
    assert.deepEqual(inOrder.parameters, shuffled.parameters);
    const total = pkgs.reduce((s, p) => s + p.dataSize, 0);
    const expected =
      pkgs.reduce((s, p) => s + (p.modelParameters[0] as number) * p.dataSize, 0) / total;
    assert.ok(Math.abs((inOrder.parameters[0] as number) - expected) < 1e-6);
    assert.equal(inOrder.round, 1);
    assert.equal(inOrder.getSummary().trainLoss, 1);
  });

  it("ignores a duplicate package and rejects foreign or malformed ones", () => {
    const s = server();
    const cids = s.sampleClients();
    const first = cids[0] as number;
    assert.equal(s.load(uplink(first, 1, 5)), false);
    assert.equal(s.load(uplink(first, 9, 5)), false);
    const outsider = [...Array(20).keys()].find((c) => !cids.includes(c)) as number;
    assert.throws(() => s.load(uplink(outsider, 1, 5)), /payload\.cid/);
    assert.throws(() => s.load(uplink(cids[1] as number, 1, 0)), /dataSize/);
    assert.throws(
      () => s.load({ cid: cids[1] as number, modelParameters: new Float32Array(2), dataSize: 3 }),
      /modelParameters/,
    );
    assert.throws(() => server().load(uplink(0, 1, 1)), /sampleClients/);
  });

  it("stops after globalRound rounds, evaluates, and restores a captured state exactly", async () => {
    const s = server({ evaluate: (p) => ({ loss: p[0] as number, accuracy: 0.5 }) });
    const snapshots = [];
    while (!s.isStopped()) {
      const cids = s.sampleClients();
      s.globalUpdate(cids.map((cid) => uplink(cid, cid / 7 + s.round, cid + 1)));
      snapshots.push(s.captureState());
    }
    assert.equal(s.round, 3);
    assert.equal(s.ifStop(), true);
    const evaluation = await s.evaluate();
    assert.equal(s.getSummary().testAccuracy, 0.5);
    assert.equal(evaluation.loss, s.parameters[0]);

    const resumed = server();
    resumed.restoreState(snapshots[0] as never);
    while (!resumed.isStopped()) {
      const cids = resumed.sampleClients();
      resumed.globalUpdate(cids.map((cid) => uplink(cid, cid / 7 + resumed.round, cid + 1)));
    }
    assert.deepEqual(resumed.parameters, s.parameters);
    assert.throws(
      () => resumed.restoreState({ round: 9, parameters: new Float32Array(3) }),
      /state\.round/,
    );
    await assert.rejects(server().evaluate(), /evaluate/);
  });
});
