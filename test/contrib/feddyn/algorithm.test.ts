import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { fedDyn, fedDynTerm } from "../../../src/contrib/feddyn/algorithm.js";
import { fedDynGradientTerm } from "../../../src/contrib/feddyn/dynamic-regularisation.js";
import { describeDeterminism, fedAvgSha256 } from "../algorithm-runs.js";

const training = { seed: 0, epochs: 1, batchSize: 1, lr: 0.1, momentum: 0, weightDecay: 0 };

describe("FedDyn's parts", () => {
  it("the tensor term is −g_k + α (θ − x_t), as the array rule says", () => {
    const theta = new Float32Array([0.5, -1, 2, 0.25, 3, -2]);
    const x = new Float32Array([0, 1, 1, -1, 2, 0]);
    const g = new Float32Array([0.1, 0.2, -0.3, 0, 1, -1]);
    const expected = fedDynGradientTerm(theta, x, g, 0.3);
    const got = tf.tidy(() => {
      const split = (v: Float32Array) => [
        tf.tensor(v.subarray(0, 4), [2, 2]),
        tf.tensor(v.subarray(4)),
      ];
      const term = fedDynTerm(0.3, split(x), split(g));
      const w = split(theta).map((t) => tf.variable(t));
      const values = [...(term(0, w[0]!)?.dataSync() ?? []), ...(term(1, w[1]!)?.dataSync() ?? [])];
      for (const v of w) v.dispose();
      return values;
    });
    for (const [i, e] of expected.entries())
      assert.ok(Math.abs((got[i] as number) - e) < 1e-6, `[${i}] ${got[i]} vs ${e}`);
  });

  it("the server keeps h and checkpoints it (by hand)", () => {
    const setup = {
      initialModel: new Float32Array([1, 0]),
      numClients: 4,
      clientsPerRound: 2,
      options: { alpha: 0.5, federatedEval: false },
      training,
      seed: 0,
    };
    const server = fedDyn.server(setup);
    const update = (model: number[]) => ({
      cid: 0,
      weight: 3,
      steps: 1,
      metrics: {},
      vectors: { model: new Float32Array(model) },
    });
    // Σ (θ_k − x) = [0, 2]; h = −(0.5/4) [0, 2]; x = mean θ − h/α = [1, 1] − [0, −0.5].
    server.fold(update([2, 0]));
    server.fold(update([0, 2]));
    server.finish(0);
    assert.deepEqual([...server.model], [1, 1.5]);
    const saved = server.captureState();
    assert.deepEqual([...(saved.vectors.h ?? [])], [0, -0.25]);
    // Round 2 from the checkpoint equals round 2 straight on.
    const next = [update([1, 1]), update([3, 2])];
    for (const u of next) server.fold(u);
    server.finish(1);
    const resumed = fedDyn.server(setup);
    resumed.restoreState(saved, new Float32Array([1, 1.5]));
    for (const u of next) resumed.fold(u);
    resumed.finish(1);
    assert.deepEqual([...resumed.model], [...server.model]);
  });
});

const reference = describeDeterminism("feddyn", { alpha: 0.1 });

it("feddyn differs from FedAvg (its state and correction are used)", async () => {
  assert.notEqual(await fedAvgSha256(), reference());
});
