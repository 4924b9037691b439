import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AccuracySpread,
  accuracyMetrics,
  quantile,
} from "../../../src/contrib/federated-evaluation/accuracy-spread.js";
import { runWithMetrics, smallRun } from "../algorithm-runs.js";

describe("AccuracySpread", () => {
  it("quantiles interpolate between order statistics (numpy's default), by hand", () => {
    const sorted = [0.1, 0.2, 0.4, 0.8];
    assert.equal(quantile(sorted, 0), 0.1);
    assert.equal(quantile(sorted, 1), 0.8);
    assert.ok(Math.abs(quantile(sorted, 0.5) - 0.3) < 1e-15); // between 0.2 and 0.4
    assert.ok(Math.abs(quantile(sorted, 0.1) - 0.13) < 1e-15); // position 0.3
    assert.ok(Math.abs(quantile(sorted, 0.9) - 0.68) < 1e-15); // position 2.7
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it("summarises clients: mean, weighted mean, min, p10/p50/p90, skipping clients without tests", () => {
    const spread = new AccuracySpread();
    spread.add(0.5, 10);
    spread.add(1, 30);
    spread.add(0, 10);
    spread.add(Number.NaN, 0); // no test data
    const summary = spread.take();
    assert.deepEqual(
      { ...summary, p10: Math.round((summary.p10 ?? 0) * 1e12) / 1e12 },
      { clients: 3, mean: 0.5, weightedMean: 35 / 50, min: 0, p10: 0.1, p50: 0.5, p90: 0.9 },
    );
    assert.deepEqual(spread.take().mean, null, "take() forgets the round");
    assert.deepEqual(Object.keys(accuracyMetrics("federated", summary)), [
      "federatedClients",
      "federatedAccuracyMean",
      "federatedAccuracyWeighted",
      "federatedAccuracyMin",
      "federatedAccuracyP10",
      "federatedAccuracyP50",
      "federatedAccuracyP90",
    ]);
  });
});

describe("--federated-eval", () => {
  it("adds the spread of the sampled clients' accuracies and changes no bit of the model", async () => {
    const off = await runWithMetrics(smallRun("fedadam", { trainer: "serial" }));
    const on = await runWithMetrics(
      smallRun("fedadam", { trainer: "serial", federatedEval: true }),
    );
    assert.equal(on.summary.modelSha256, off.summary.modelSha256);
    assert.ok(off.own.every((m) => !("federatedAccuracyMean" in m)));
    for (const m of on.own) {
      assert.equal(m.federatedClients, 5);
      const [min, p10, p50, p90] = [
        m.federatedAccuracyMin,
        m.federatedAccuracyP10,
        m.federatedAccuracyP50,
        m.federatedAccuracyP90,
      ] as number[];
      assert.ok(0 <= min! && min! <= p10! && p10! <= p50! && p50! <= p90! && p90! <= 1);
      const mean = m.federatedAccuracyMean as number;
      assert.ok(min! <= mean && mean <= 1);
    }
    // Other clients and a moving model: the rounds' spreads differ.
    assert.notDeepEqual(on.own[0], on.own[3]);
  });
});
