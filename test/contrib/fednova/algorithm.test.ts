import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fedNova } from "../../../src/contrib/fednova/algorithm.js";
import { runExperiment } from "../../../src/kit/run-experiment.js";
import { describeDeterminism, runWithMetrics, smallRun } from "../algorithm-runs.js";

const training = { seed: 0, epochs: 1, batchSize: 1, lr: 0.1, momentum: 0, weightDecay: 0 };

describe("FedNova's server part", () => {
  it("normalises by local steps (by hand) and reports τ_eff", () => {
    const server = fedNova.server({
      initialModel: new Float32Array([0]),
      numClients: 4,
      clientsPerRound: 2,
      options: { serverLr: 1, weighted: true, federatedEval: false },
      training,
      seed: 0,
    });
    const update = (model: number, steps: number, weight: number) => ({
      cid: 0,
      weight,
      steps,
      metrics: {},
      vectors: { model: new Float32Array([model]) },
    });
    // d = [(0 − 1)/1, (0 − 2)/4], τ_eff = 2.5: x = 2.5 · 0.75 = 1.875 (FedAvg: 1.5).
    server.fold(update(1, 1, 1));
    server.fold(update(2, 4, 1));
    server.fold(update(9, 0, 5)); // no steps: nothing to normalise, left out
    server.finish(0);
    assert.ok(Math.abs((server.model[0] as number) - 1.875) < 1e-6);
    assert.deepEqual(server.roundMetrics?.(), { tauEffective: 2.5 });
  });
});

describe("FedNova against FedAvg on Fashion-MNIST", () => {
  const run = (algorithm: string, partition: string) =>
    runExperiment(
      {
        algorithm,
        dataset: "fashion-mnist",
        partition,
        clients: 100,
        sampleRatio: 0.05,
        rounds: 2,
        batchSize: 50,
        lr: 0.05,
        trainer: "serial",
        seed: 3,
        quiet: true,
      },
      { progress: false },
    );

  it("equals FedAvg bit for bit when every client takes the same steps (IID, 600 samples each)", async () => {
    const [nova, avg] = [await run("fednova", "iid"), await run("fedavg", "iid")];
    assert.equal(nova.modelSha256, avg.modelSha256);
  });

  it("differs from FedAvg when client sizes, and so step counts, are skewed", async () => {
    const [nova, avg] = [
      await run("fednova", "dirichlet:0.3"),
      await run("fedavg", "dirichlet:0.3"),
    ];
    assert.notEqual(nova.modelSha256, avg.modelSha256);
  });
});

const reference = describeDeterminism("fednova", { federatedEval: true });

it("fednova: --federated-eval changes no bit of the model", async () => {
  const { summary, own } = await runWithMetrics(smallRun("fednova", { trainer: "serial" }));
  assert.equal(summary.modelSha256, reference());
  assert.ok(own.every((m) => m.federatedAccuracyMean === undefined && m.tauEffective !== null));
});
