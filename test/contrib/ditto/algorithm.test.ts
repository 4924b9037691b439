import assert from "node:assert/strict";
import { it } from "node:test";
import { describeDeterminism, fedAvgSha256, runWithMetrics, smallRun } from "../algorithm-runs.js";

// The personal models are client state; their accuracies are in each round's metrics, which
// the helper compares across trainer kinds and resume too.
const reference = describeDeterminism("ditto", { lambda: 0.5 });

it("ditto's global model is FedAvg's, bit for bit (the personal loop never touches it)", async () => {
  assert.equal(await fedAvgSha256(), reference());
});

it("ditto reports personal and global accuracy on each client's test split; personal wins on Synthetic(1,1)", async () => {
  const { own } = await runWithMetrics(smallRun("ditto", { trainer: "serial", lambda: 0.5 }));
  const last = own[own.length - 1] ?? {};
  assert.equal(last.personalClients, 5);
  assert.equal(last.federatedClients, 5);
  for (const key of ["Mean", "Weighted", "Min", "P10", "P50", "P90"]) {
    assert.equal(typeof last[`personalAccuracy${key}`], "number", key);
    assert.equal(typeof last[`federatedAccuracy${key}`], "number", key);
  }
  assert.ok(
    (last.personalAccuracyMean as number) > (last.federatedAccuracyMean as number),
    JSON.stringify(last),
  );
  // λ changes the personal models only.
  const other = await runWithMetrics(smallRun("ditto", { trainer: "serial", lambda: 5 }));
  assert.equal(other.summary.modelSha256, reference());
  assert.notDeepEqual(
    other.own.map((m) => m.personalAccuracyMean),
    own.map((m) => m.personalAccuracyMean),
  );
});
