/**
 * Robust aggregation against real attackers, through `runExperiment` (`--attack`,
 * `--aggregator`): LEAF Synthetic (IID variant, 20 clients, all of them every round), logistic
 * regression trained by the real engine, 4 of the 20 clients (a seeded 20 %) sending -4 x their
 * update. FedAvg's mean is pulled backwards; the median, Krum and the trimmed mean keep their
 * no-attack accuracy.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperiment } from "../../../src/kit/run-experiment.js";

const ATTACK = "sign-flip:0.2:4";

/** Test accuracy after 10 rounds of FedAvg with `aggregator` (and `attack`, if any). */
async function accuracyAfter(aggregator: string, attack: string | undefined): Promise<number> {
  const summary = await runExperiment(
    {
      dataset: "synthetic",
      partition: "iid",
      clients: 20,
      sampleRatio: 1,
      rounds: 10,
      batchSize: 10,
      lr: 0.05,
      seed: 5,
      trainer: "serial",
      evalEvery: 10,
      quiet: true,
      ...(aggregator !== "mean" ? { aggregator } : {}),
      ...(attack !== undefined ? { attack } : {}),
    },
    { progress: false },
  );
  return summary.testAccuracy;
}

describe("robust aggregation under 20 % sign-flip attackers (real training)", () => {
  it("FedAvg collapses; median, Krum and trimmed mean stay within a few points", async (t) => {
    const fedavgClean = await accuracyAfter("mean", undefined);
    const fedavgAttacked = await accuracyAfter("mean", ATTACK);
    t.diagnostic(`mean: ${fedavgClean} clean, ${fedavgAttacked} attacked`);
    assert.ok(fedavgClean > 0.4, `FedAvg learns without attackers (${fedavgClean})`);
    assert.ok(
      fedavgAttacked < fedavgClean - 0.3,
      `FedAvg: ${fedavgAttacked} attacked, ${fedavgClean} clean`,
    );
    for (const aggregator of ["median", "krum:4", "trimmed-mean:0.2"]) {
      const clean = await accuracyAfter(aggregator, undefined);
      const attacked = await accuracyAfter(aggregator, ATTACK);
      t.diagnostic(`${aggregator}: ${clean} clean, ${attacked} attacked`);
      assert.ok(attacked > clean - 0.05, `${aggregator}: ${attacked} attacked, ${clean} clean`);
      assert.ok(
        attacked > fedavgClean - 0.15,
        `${aggregator}: ${attacked} attacked, FedAvg ${fedavgClean} clean`,
      );
      assert.ok(attacked > fedavgAttacked + 0.3, `${aggregator} beats attacked FedAvg`);
    }
  });
});
