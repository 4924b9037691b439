import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { DataError } from "../../../src/data/errors.js";
import {
  ClassificationPartitionedDataset,
  clearFederatedDatasetCache,
  federatedDatasetKey,
  loadFederatedDataset,
  resolveFederatedDatasetSpec,
  SyntheticPartitionedDataset,
} from "../../../src/data/federated/index.js";
import { labelEntropy } from "../../../src/data/partition/index.js";
import { tempDir, writeIdxDataset } from "../../fixtures/data/builders.js";

describe("loadFederatedDataset", () => {
  const { dir, cleanup } = tempDir();
  after(() => {
    cleanup();
    clearFederatedDatasetCache();
  });

  it("builds the embedded synthetic dataset, memoised per spec", async () => {
    const spec = { dataset: "synthetic", numClients: 50, partition: "natural", seed: 1 } as const;
    const a = await loadFederatedDataset(spec);
    assert.ok(a instanceof SyntheticPartitionedDataset);
    assert.deepEqual(a.sampleShape, [60]);
    assert.equal(a.numClasses, 10);
    assert.equal(a.generator.iid, false);
    assert.equal(await loadFederatedDataset({ ...spec }), a, "same spec, same object");
    const iid = await loadFederatedDataset({ ...spec, partition: "iid" });
    assert.ok(iid instanceof SyntheticPartitionedDataset && iid.generator.iid);
    const explicit = await loadFederatedDataset({
      ...spec,
      partition: "iid",
      synthetic: { iid: false, alpha: 0.5, beta: 0.5 },
    });
    assert.ok(explicit instanceof SyntheticPartitionedDataset && !explicit.generator.iid);
    assert.equal(explicit.generator.alpha, 0.5);
  });

  it("partitions an image dataset from its files, reading them once", async () => {
    const d = join(dir, "mnist");
    await writeIdxDataset(d, { train: 400, test: 100 });
    const spec = {
      dataset: "mnist",
      dataDir: d,
      numClients: 10,
      partition: "pathological:2",
      seed: 3,
    } as const;
    const ds = await loadFederatedDataset(spec);
    assert.ok(ds instanceof ClassificationPartitionedDataset);
    assert.deepEqual(ds.sampleShape, [28, 28, 1]);
    for (let cid = 0; cid < 10; cid++) {
      const counts = ds.labelCounts("train", cid);
      assert.equal(counts.filter((c) => c > 0).length, 2);
      const test = ds.labelCounts("test", cid);
      assert.ok(
        test.every((c, k) => c === 0 || (counts[k] as number) > 0),
        "test labels follow train labels",
      );
    }
    assert.equal(ds.size("test", undefined), 100);
    const other = await loadFederatedDataset({
      ...spec,
      partition: "dirichlet:0.5",
      minClientSize: 5,
    });
    assert.ok(other instanceof ClassificationPartitionedDataset);
    assert.notEqual(other, ds);
    assert.equal(other.train, ds.train, "the files are read once per process");
    const again = await loadFederatedDataset({
      ...spec,
      partition: "dirichlet:0.5",
      minClientSize: 5,
    });
    assert.equal(again, other);
    assert.ok(labelEntropy(ds.labelCounts("train", 0)) <= 1);
  });

  it("rejects bad specs with errors naming the option, and does not cache failures", async () => {
    const base = { dataset: "synthetic", numClients: 10, partition: "natural", seed: 1 };
    const cases: Array<[string, object]> = [
      ["--dataset", { dataset: "imagenet" }],
      ["--clients", { numClients: 0 }],
      ["--clients", { numClients: 2.5 }],
      ["--seed", { seed: -1 }],
      ["--partition", { partition: "dirichlet:0" }],
      ["--partition", { partition: "dirichlet:0.5" }],
      ["--partition", { dataset: "mnist", partition: "natural" }],
      ["--clients", { dataset: "mnist", partition: "iid", numClients: 60_001 }],
      ["synthetic.alpha", { synthetic: { alpha: -1 } }],
      ["synthetic.serverTestClients", { synthetic: { serverTestClients: 0 } }],
      ["normalize", { dataset: "mnist", partition: "iid", normalize: "z" }],
      ["--data-dir", { dataset: "mnist", partition: "iid", dataDir: 5 }],
    ];
    for (const [option, change] of cases) {
      assert.throws(
        () => resolveFederatedDatasetSpec({ ...base, ...change }),
        (e: unknown) => e instanceof OptionsError && e.option === option,
        `${option} ${JSON.stringify(change)}`,
      );
      await assert.rejects(loadFederatedDataset({ ...base, ...change } as never), OptionsError);
    }
    const missing = {
      dataset: "mnist",
      dataDir: join(dir, "none"),
      numClients: 2,
      partition: "iid",
      seed: 1,
    } as const;
    await assert.rejects(loadFederatedDataset(missing), DataError);
    await writeIdxDataset(join(dir, "none"), { train: 20, test: 10 });
    const ds = await loadFederatedDataset(missing);
    assert.equal(ds.size("train", 0), 10, "a failed load is retried");
  });

  it("gives equal keys to equal specs", () => {
    const a = federatedDatasetKey({
      dataset: "synthetic",
      numClients: 5,
      partition: "natural",
      seed: 2,
    });
    const b = federatedDatasetKey({
      seed: 2,
      partition: "natural",
      numClients: 5,
      dataset: "synthetic",
      synthetic: { alpha: 1 },
    });
    assert.equal(a, b);
    assert.notEqual(
      a,
      federatedDatasetKey({ dataset: "synthetic", numClients: 5, partition: "natural", seed: 3 }),
    );
  });
});
