/**
 * Robust aggregation against real attackers on a small real workload: LEAF Synthetic (IID
 * variant, 20 clients, all of them every round), logistic regression trained by the real
 * engine, 4 of the 20 clients (a seeded 20 %) sending -4 x their update. FedAvg's mean is pulled
 * backwards; the median, Krum and the trimmed mean keep their no-attack accuracy.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseAttack } from "../../../src/contrib/attacks/attack-spec.js";
import { maliciousClients } from "../../../src/contrib/attacks/malicious-clients.js";
import { poisonUpdates } from "../../../src/contrib/attacks/poison-updates.js";
import { createFedAvgModel } from "../../../src/contrib/fedavg/model-factory.js";
import { parseAggregator } from "../../../src/contrib/robust/aggregator-spec.js";
import { robustAggregate } from "../../../src/contrib/robust/robust-aggregate.js";
import type { FederatedClassificationDataset } from "../../../src/data/federated/federated-classification-dataset.js";
import { loadFederatedDataset } from "../../../src/data/federated/load-federated-dataset.js";
import { initEngine } from "../../../src/engine/init-engine.js";
import { SgdOptimizer } from "../../../src/models/sgd-optimizer.js";
import { clientStream } from "../../../src/reproducibility/client-stream.js";

const SEED = 5;
const CLIENTS = 20;
const ROUNDS = 10;
const ATTACK = "sign-flip:0.2:4";

let data: FederatedClassificationDataset;
before(async () => {
  await initEngine("cpu");
  data = await loadFederatedDataset({
    dataset: "synthetic",
    numClients: CLIENTS,
    partition: "iid",
    seed: SEED,
  });
});

/** Test accuracy after ROUNDS rounds of FedAvg-style training with `aggregator`. */
function accuracyAfter(aggregator: string, attack: string | undefined): number {
  const model = createFedAvgModel("logreg", data.sampleShape, data.numClasses, SEED);
  const spec = parseAggregator(aggregator);
  const malicious = new Set(maliciousClients(SEED, CLIENTS, 0.2));
  const cids = Array.from({ length: CLIENTS }, (_, k) => k);
  let global = model.getFlatParameters();
  for (let round = 0; round < ROUNDS; round++) {
    const updates: Float32Array[] = [];
    const weights: number[] = [];
    for (const cid of cids) {
      model.setFlatParameters(global);
      // One local epoch of plain SGD, batches shuffled by the client's own stream.
      const optimizer = new SgdOptimizer({ lr: 0.05 });
      let samples = 0;
      for (const batch of data.getDataloader("train", cid, 10, clientStream(SEED, cid, round))) {
        model.trainStep(batch, optimizer);
        samples += batch.size;
      }
      optimizer.dispose();
      const local = model.getFlatParameters();
      updates.push(local.map((v, i) => v - (global[i] as number)));
      weights.push(samples);
    }
    const sent =
      attack === undefined
        ? updates
        : poisonUpdates(parseAttack(attack), { seed: SEED, round, cids, updates, malicious });
    const step = robustAggregate(spec, sent, weights);
    global = global.map((v, i) => v + (step[i] as number));
  }
  model.setFlatParameters(global);
  const { accuracy } = model.evaluate(data.getDataloader("test", undefined, 256, undefined));
  model.dispose();
  return accuracy;
}

describe("robust aggregation under 20 % sign-flip attackers (real training)", () => {
  it("FedAvg collapses; median, Krum and trimmed mean stay within a few points", () => {
    const fedavgClean = accuracyAfter("mean", undefined);
    const fedavgAttacked = accuracyAfter("mean", ATTACK);
    assert.ok(fedavgClean > 0.4, `FedAvg learns without attackers (${fedavgClean})`);
    assert.ok(
      fedavgAttacked < fedavgClean - 0.3,
      `FedAvg: ${fedavgAttacked} attacked, ${fedavgClean} clean`,
    );
    for (const aggregator of ["median", "krum:4", "trimmed-mean:0.2"]) {
      const clean = accuracyAfter(aggregator, undefined);
      const attacked = accuracyAfter(aggregator, ATTACK);
      assert.ok(attacked > clean - 0.05, `${aggregator}: ${attacked} attacked, ${clean} clean`);
      assert.ok(attacked > fedavgAttacked + 0.3, `${aggregator} beats attacked FedAvg`);
    }
  });
});
