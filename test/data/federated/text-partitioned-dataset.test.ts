import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { decodeText } from "../../../src/data/datasets/text-vocabulary.js";
import {
  ClassificationPartitionedDataset,
  clearFederatedDatasetCache,
  loadFederatedDataset,
} from "../../../src/data/federated/index.js";
import { initEngine } from "../../../src/engine/init-engine.js";
import { createModel } from "../../../src/models/create-model.js";
import { SgdOptimizer } from "../../../src/models/sgd-optimizer.js";
import { clientStream } from "../../../src/reproducibility/client-stream.js";
import { tempDir } from "../../fixtures/data/builders.js";
import { generateText } from "../../fixtures/data/text.js";

describe("loadFederatedDataset({ dataset: 'text' })", () => {
  const { dir, cleanup } = tempDir("blazefl-text-");
  const texts = Array.from({ length: 4 }, (_, i) => generateText(100 + i, 40 + 10 * i));
  for (const [i, t] of texts.entries()) writeFileSync(join(dir, `part-${i}.txt`), t);
  after(() => {
    cleanup();
    clearFederatedDatasetCache();
  });

  it("gives each client its files with --partition natural, 80 characters in, 80 classes", async () => {
    const data = await loadFederatedDataset({
      dataset: "text",
      dataDir: dir,
      numClients: 4,
      partition: "natural",
      seed: 1,
    });
    assert.ok(data instanceof ClassificationPartitionedDataset);
    assert.deepEqual(data.sampleShape, [80]);
    assert.equal(data.numClasses, 80);
    for (const [cid, t] of texts.entries()) {
      const cut = Math.floor(t.length * 0.8);
      assert.equal(data.size("train", cid), cut - 80, `client ${cid}`);
      assert.equal(data.size("test", cid), t.length - cut - 80);
      const [first] = data.getDataloader("train", cid, 1, undefined);
      assert.ok(first);
      assert.equal(decodeText(first.x), t.slice(0, 80));
    }
    assert.equal(
      data.size("test", undefined),
      texts.reduce((n, t) => n + t.length - Math.floor(t.length * 0.8) - 80, 0),
    );
  });

  it("partitions the training windows with --partition iid, every window once", async () => {
    const data = await loadFederatedDataset({
      dataset: "text",
      dataDir: dir,
      numClients: 3,
      partition: "iid",
      seed: 2,
    });
    const sizes = [0, 1, 2].map((cid) => data.size("train", cid));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      data.size("train", undefined),
    );
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  });

  it("asks for --data-dir and names the option", async () => {
    await assert.rejects(
      loadFederatedDataset({ dataset: "text", numClients: 2, partition: "iid", seed: 1 }),
      (e: unknown) => e instanceof OptionsError && e.option === "--data-dir",
    );
    await assert.rejects(
      loadFederatedDataset({
        dataset: "text",
        dataDir: dir,
        numClients: 5,
        partition: "natural",
        seed: 1,
      }),
      (e: unknown) => e instanceof OptionsError && e.option === "--clients",
    );
  });

  it("feeds char-lstm: one training step on a client's shuffled batch", async () => {
    await initEngine("cpu");
    const data = await loadFederatedDataset({
      dataset: "text",
      dataDir: dir,
      numClients: 4,
      partition: "natural",
      seed: 1,
    });
    const model = await createModel("char-lstm", {
      inputShape: data.sampleShape,
      numClasses: data.numClasses,
      seed: 1,
    });
    const [batch] = data.getDataloader("train", 2, 4, clientStream(1, 2, 0));
    assert.ok(batch);
    const optimizer = new SgdOptimizer({ lr: 0.1 });
    const loss = model.trainStep(batch, optimizer);
    // An untrained model is near uniform over the 80 characters.
    assert.ok(Math.abs(loss - Math.log(80)) < 0.5, `loss ${loss}`);
    optimizer.dispose();
    model.dispose();
  });
});
