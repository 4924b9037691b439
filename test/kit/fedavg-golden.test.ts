// FedAvg through the kit gives the models FedAvg gave before the kit existed: these sha256 were
// taken with the pre-kit `blazefl run` (commit 966a46a) on the native engine.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperiment } from "../../src/kit/run-experiment.js";

const quietIo = { progress: false } as const;

const GOLDEN = [
  {
    name: "synthetic logreg, serial",
    options: { rounds: 3, trainer: "serial" },
    sha256: "29e43bf01db9c67feceaca667d0795c7fb1231507b6ec60dc1624e370cb0f11f",
  },
  {
    name: "synthetic logreg, process x2",
    options: { rounds: 3, trainer: "process", parallels: 2 },
    sha256: "29e43bf01db9c67feceaca667d0795c7fb1231507b6ec60dc1624e370cb0f11f",
  },
  {
    name: "fashion-mnist mlp, dirichlet, momentum and weight decay, thread x2",
    options: {
      dataset: "fashion-mnist",
      model: "mlp",
      clients: 50,
      rounds: 2,
      momentum: 0.5,
      weightDecay: 0.0001,
      lr: 0.05,
      trainer: "thread",
      parallels: 2,
      partition: "dirichlet:0.5",
    },
    sha256: "dc0b88a032909bf764f2d2e83caf5fea87f4edb7ac1b5b008dac0f7d5fb6acf2",
  },
  {
    name: "fashion-mnist cnn, shards, serial",
    options: {
      dataset: "fashion-mnist",
      model: "cnn",
      clients: 200,
      sampleRatio: 0.02,
      rounds: 1,
      batchSize: 64,
      trainer: "serial",
      partition: "shards:2",
      seed: 7,
    },
    sha256: "a743a5a7128e0cd8199ef83a7754ef0743544ef5a1540477745d10e3fbe732c5",
  },
] as const;

describe("FedAvg through the kit", () => {
  it("evaluates in the pool's workers with the serial evaluation's figures, bit for bit", async () => {
    const options = {
      dataset: "fashion-mnist",
      model: "mlp",
      clients: 50,
      rounds: 1,
      lr: 0.05,
      quiet: true,
    };
    const serial = await runExperiment({ ...options, trainer: "serial" }, quietIo);
    for (const [trainer, parallels] of [
      ["process", 2],
      ["thread", 3],
    ] as const) {
      const pooled = await runExperiment({ ...options, trainer, parallels }, quietIo);
      assert.equal(pooled.modelSha256, serial.modelSha256);
      assert.equal(pooled.testAccuracy, serial.testAccuracy, `${trainer} x${parallels}`);
      assert.equal(pooled.testLoss, serial.testLoss, `${trainer} x${parallels}`);
    }
  });

  for (const golden of GOLDEN)
    it(`keeps the pre-kit model bit for bit: ${golden.name}`, async () => {
      const summary = await runExperiment({ ...golden.options, quiet: true }, quietIo);
      assert.equal(summary.engine, "native", "the golden models were taken on the native engine");
      assert.equal(summary.modelSha256, golden.sha256);
    });
});
