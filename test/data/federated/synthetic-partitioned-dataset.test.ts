import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SyntheticPartitionedDataset } from "../../../src/data/federated/index.js";
import { clientStream } from "../../../src/reproducibility/index.js";

describe("SyntheticPartitionedDataset", () => {
  it("serves each client's 80/20 split and a server test set equal to the union of them", () => {
    const ds = new SyntheticPartitionedDataset({
      numClients: 30,
      seed: 4,
      alpha: 1,
      beta: 1,
      maxClientSize: 400,
    });
    assert.deepEqual(ds.info, {
      name: "synthetic",
      numClients: 30,
      sampleShape: [60],
      numClasses: 10,
    });
    assert.equal(ds.serverClients.length, 30);
    let total = 0;
    const serverY: number[] = [];
    const clientY: number[] = [];
    for (let cid = 0; cid < 30; cid++) {
      const data = ds.generator.generateClient(cid);
      assert.equal(ds.size("train", cid), data.numTrain);
      assert.equal(ds.size("test", cid), data.numTest);
      total += data.numTest;
      clientY.push(...data.y.subarray(data.numTrain));
    }
    assert.equal(ds.size("test", undefined), total);
    for (const batch of ds.getDataloader("test", undefined, 64, undefined))
      serverY.push(...batch.y);
    assert.deepEqual(serverY, clientY);
    const view = ds.getDataset("test", 5);
    const data = ds.generator.generateClient(5);
    assert.deepEqual(view.get(0).x, data.x.subarray(data.numTrain * 60, data.numTrain * 60 + 60));
  });

  it("scales to 10,000 clients: lazy generation, a bounded cache, a sampled server test set", () => {
    const make = () =>
      new SyntheticPartitionedDataset({ numClients: 10_000, seed: 42, cacheClients: 8 });
    const ds = make();
    assert.equal(ds.cachedClients, 0, "nothing generated up front");
    assert.equal(ds.serverClients.length, 100);
    assert.deepEqual(
      ds.serverClients,
      make().serverClients,
      "the same server clients in every process",
    );
    assert.ok(ds.serverClients.some((cid) => cid > 5000));
    for (let cid = 9000; cid < 9020; cid++) ds.labelCounts("train", cid);
    assert.equal(ds.cachedClients, 8);
    const expected = ds.serverClients.reduce((a, cid) => a + ds.generator.testSize(cid), 0);
    assert.equal(ds.size("test", undefined), expected);
  });

  it("shuffles per (seed, cid, round) and covers the client's train split each epoch", () => {
    const ds = new SyntheticPartitionedDataset({ numClients: 20, seed: 9 });
    const epoch = (round: number) => {
      const ys: number[] = [];
      const firsts: number[] = [];
      for (const b of ds.getDataloader("train", 3, 10, clientStream(9, 3, round))) {
        assert.equal(b.x.length, b.size * 60);
        ys.push(...b.y);
        for (let i = 0; i < b.size; i++) firsts.push(b.x[i * 60] as number);
      }
      return { ys, firsts };
    };
    assert.deepEqual(epoch(1), epoch(1));
    assert.notDeepEqual(epoch(1).firsts, epoch(2).firsts);
    const data = ds.generator.generateClient(3);
    const expected = Array.from(
      { length: data.numTrain },
      (_, s) => data.x[s * 60] as number,
    ).sort();
    assert.deepEqual([...epoch(2).firsts].sort(), expected);
  });
});
