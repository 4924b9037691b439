import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadFederatedDataset } from "../../src/data/federated/load-federated-dataset.js";
import {
  datasetSpecFromConfig,
  evenlySpacedClients,
  loadPartitionSummary,
  summarizePartition,
} from "../../src/report/partition-summary.js";

describe("partition summary", () => {
  it("samples client ids evenly and deterministically when there are too many", () => {
    assert.deepEqual(evenlySpacedClients(5, 10), [0, 1, 2, 3, 4]);
    assert.deepEqual(evenlySpacedClients(10, 4), [0, 2, 5, 7]);
    const big = evenlySpacedClients(10_000, 100);
    assert.equal(big.length, 100);
    assert.equal(new Set(big).size, 100);
    assert.equal(big[99], 9900);
  });

  it("recomputes exactly the label statistics of the run's partition (Fashion-MNIST)", async () => {
    const config = {
      dataset: "fashion-mnist",
      clients: 30,
      partition: "dirichlet:0.3",
      seed: 11,
      out: "/x",
    };
    const spec = datasetSpecFromConfig(config);
    assert.ok(spec !== undefined);
    const summary = await loadPartitionSummary(spec);
    const stats = (
      await loadFederatedDataset({
        dataset: "fashion-mnist",
        numClients: 30,
        partition: "dirichlet:0.3",
        seed: 11,
      })
    ).labelStatistics("train");
    assert.deepEqual(summary.sizes, stats.sizes);
    assert.deepEqual(summary.counts, stats.counts);
    assert.equal(summary.title, "fashion-mnist, dirichlet:0.3, 30 clients, seed 11");
    assert.equal(
      summary.sizes.reduce((a, b) => a + b, 0),
      60_000,
    );
  });

  it("counts labels only for the sampled clients of a 10,000-client LEAF Synthetic partition", async () => {
    const ds = await loadFederatedDataset({
      dataset: "synthetic",
      numClients: 10_000,
      partition: "natural",
      seed: 3,
    });
    const summary = summarizePartition(ds, "big");
    assert.equal(summary.sizes.length, 10_000);
    assert.equal(summary.heatmapClients.length, 100);
    summary.heatmapClients.forEach((cid, i) => {
      assert.deepEqual(summary.counts[i], ds.labelCounts("train", cid));
      assert.equal(
        (summary.counts[i] as number[]).reduce((a, b) => a + b, 0),
        summary.sizes[cid],
      );
    });
  });

  it("names no dataset for a config without one", () => {
    assert.equal(datasetSpecFromConfig({ lr: 0.1 }), undefined);
    assert.deepEqual(
      datasetSpecFromConfig({ dataset: "synthetic", clients: 5, syntheticAlpha: 0.5 }),
      {
        dataset: "synthetic",
        numClients: 5,
        partition: "natural",
        seed: 42,
        synthetic: { alpha: 0.5, beta: 1 },
      },
    );
  });
});
