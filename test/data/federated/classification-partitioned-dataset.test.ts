import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import type { Batch } from "../../../src/core/partitioned-dataset.js";
import { DataError } from "../../../src/data/errors.js";
import { ClassificationPartitionedDataset } from "../../../src/data/federated/index.js";
import { FilteredDataset } from "../../../src/data/filtered-dataset.js";
import { iidPartition } from "../../../src/data/partition/index.js";
import { ImageStore } from "../../../src/data/store/index.js";
import { clientStream, createRng } from "../../../src/reproducibility/index.js";
import { imageSet, pixelAt } from "../../fixtures/data/builders.js";

function store(n: number): ImageStore {
  const { images, labels } = imageSet(n);
  return new ImageStore({ pixels: images, labels, sampleShape: [28, 28, 1], numClasses: 10 });
}

function dataset(withTest = true): ClassificationPartitionedDataset {
  const train = store(100);
  const test = store(30);
  return new ClassificationPartitionedDataset({
    name: "mnist",
    train,
    test,
    trainPartition: iidPartition(train.labels, 4, createRng(1)),
    testPartition: withTest ? () => iidPartition(test.labels, 4, createRng(2)) : undefined,
  });
}

const collect = (batches: Iterable<Batch>) => [...batches];

describe("ClassificationPartitionedDataset", () => {
  it("serves each client's samples as views of the shared store", () => {
    const ds = dataset();
    assert.equal(ds.numClients, 4);
    assert.deepEqual(ds.info, {
      name: "mnist",
      numClients: 4,
      sampleShape: [28, 28, 1],
      numClasses: 10,
    });
    const view = ds.getDataset("train", 2);
    assert.equal(view.length, 25);
    const j = view.indices[3] as number;
    const sample = view.get(3);
    assert.equal(sample.x[100], Math.fround(pixelAt(j, 100) / 255));
    assert.equal(sample.y, ds.train.label(j));
    assert.equal(ds.size("test", undefined), 30, "the server's test split is the whole test set");
    assert.equal(ds.size("train", undefined), 100);
    assert.equal(ds.size("test", 1), ds.getDataset("test", 1).length);
  });

  it("batches in index order without rng, and in a (seed, cid, round) order with it", () => {
    const ds = dataset();
    const plain = collect(ds.getDataloader("train", 1, 8, undefined));
    assert.deepEqual(
      plain.map((b) => b.size),
      [8, 8, 8, 1],
    );
    const first = plain[0] as Batch;
    assert.equal(first.x.length, 8 * 784);
    assert.deepEqual(first.sampleShape, [28, 28, 1]);
    const indices = ds.getDataset("train", 1).indices;
    assert.equal(first.y[2], ds.train.label(indices[2] as number));
    assert.equal(first.x[2 * 784 + 5], Math.fround(pixelAt(indices[2] as number, 5) / 255));

    const order = (round: number) =>
      collect(ds.getDataloader("train", 1, 8, clientStream(42, 1, round))).flatMap((b) =>
        Array.from(b.x.filter((_, k) => k % 784 === 0)),
      );
    assert.deepEqual(order(3), order(3), "same (seed, cid, round), same order");
    assert.notDeepEqual(order(3), order(4));
    const sortedShuffled = [...order(3)].sort();
    const sortedPlain = plain
      .flatMap((b) => Array.from(b.x.filter((_, k) => k % 784 === 0)))
      .sort();
    assert.deepEqual(sortedShuffled, sortedPlain, "a shuffle of the same samples");

    const loader = ds.getDataloader("test", undefined, 7, createRng(5));
    assert.deepEqual(
      collect(loader).map((b) => Array.from(b.y)),
      collect(loader).map((b) => Array.from(b.y)),
      "replays one order",
    );
  });

  it("counts labels per client and for every client", () => {
    const ds = dataset();
    const counts = ds.labelCounts("train", 0);
    assert.equal(counts.length, 10);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      25,
    );
    const stats = ds.labelStatistics("train");
    assert.deepEqual(stats.counts[0], counts);
    assert.deepEqual(stats.sizes, [25, 25, 25, 25]);
    const all = ds.labelCounts("train", undefined);
    assert.deepEqual(all, new Array(10).fill(10));
  });

  it("setDataset replaces what a client holds", () => {
    const ds = dataset();
    const custom = new FilteredDataset<Float32Array, number>(
      [0, 1, 2],
      [new Float32Array(784).fill(0.5), new Float32Array(784).fill(0.25), new Float32Array(784)],
      [7, 8, 9],
    );
    ds.setDataset("train", 3, custom);
    assert.equal(ds.getDataset("train", 3), custom);
    assert.equal(ds.size("train", 3), 3);
    assert.deepEqual(ds.labelCounts("train", 3), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    const [batch] = collect(ds.getDataloader("train", 3, 5, undefined));
    assert.deepEqual(Array.from(batch?.y ?? []), [7, 8, 9]);
    assert.equal(batch?.x[784], 0.25);
    assert.equal(ds.size("train", 2), 25, "other clients unchanged");
  });

  it("rejects bad splits, client ids and batch sizes; clients without a test split", () => {
    const ds = dataset(false);
    assert.throws(
      () => ds.getDataset("valid" as never, 0),
      (e: unknown) => e instanceof OptionsError && e.option === "type",
    );
    for (const cid of [-1, 4, 0.5, "1"])
      assert.throws(
        () => ds.getDataloader("train", cid as never, 8, undefined),
        (e: unknown) => e instanceof OptionsError && e.option === "cid",
      );
    for (const size of [0, 2.5, Number.NaN])
      assert.throws(
        () => ds.getDataloader("train", 0, size, undefined),
        (e: unknown) => e instanceof OptionsError && e.option === "batchSize",
      );
    assert.throws(() => ds.getDataset("test", 0), DataError);
    assert.equal(ds.size("test", undefined), 30);
    assert.throws(
      () =>
        new ClassificationPartitionedDataset({
          name: "mnist",
          train: ds.train,
          test: ds.test,
          trainPartition: [Int32Array.of(0, 100)],
        }),
      (e: unknown) => e instanceof OptionsError && e.option === "trainPartition[0][1]",
    );
  });
});
