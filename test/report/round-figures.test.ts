import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunRecord } from "../../src/report/read-run.js";
import {
  otherNumbers,
  roundFigures,
  splitRoundSeconds,
  wallClockSeconds,
} from "../../src/report/round-figures.js";

function run(rounds: RunRecord["rounds"], config: Record<string, unknown> = {}): RunRecord {
  return { dir: "/r", name: "r", config, rounds };
}

describe("roundFigures", () => {
  it("estimates training as clientSeconds / parallels when the loop did not measure it", () => {
    const r = { round: 1, roundSeconds: 2, evalSeconds: 0.5, clientSeconds: 3 };
    assert.deepEqual(splitRoundSeconds(r, 2), {
      training: 1.5,
      aggregation: 0.5,
      other: 0,
      evaluation: 0.5,
      measured: false,
    });
    // Capped at the round: summed client seconds can exceed it.
    assert.equal(splitRoundSeconds(r, 1).training, 2);
    assert.equal(splitRoundSeconds(r, 1).aggregation, 0);
  });

  it("uses trainSeconds and aggregateSeconds when present; the rest of the round is other", () => {
    const r = {
      round: 1,
      roundSeconds: 2,
      evalSeconds: 0.5,
      trainSeconds: 1.2,
      aggregateSeconds: 0.3,
    };
    const s = splitRoundSeconds(r, 4);
    assert.equal(s.measured, true);
    assert.equal(s.training, 1.2);
    assert.equal(s.aggregation, 0.3);
    assert.ok(Math.abs(s.other - 0.5) < 1e-12);
  });

  it("accumulates wall-clock seconds over rounds and evaluation", () => {
    assert.deepEqual(
      wallClockSeconds([
        { round: 1, roundSeconds: 1, evalSeconds: 0.5 },
        { round: 2, roundSeconds: 2 },
      ]),
      [1.5, 3.5],
    );
  });

  it("leaves out figures no run has data for, and draws DP/attack ones only when present", () => {
    const plain = roundFigures([
      { label: "a", run: run([{ round: 1, roundSeconds: 1, trainLoss: 0.5 }]) },
    ]).map((f) => f.name);
    assert.deepEqual(plain, ["train-loss-by-round", "seconds-per-round"]);
    const dp = roundFigures([
      {
        label: "a",
        run: run([{ round: 1, epsilon: 0.3, maliciousClients: 2, clients: [0, 1] }], {
          clients: 4,
        }),
      },
    ]).map((f) => f.name);
    assert.deepEqual(dp, ["participation", "epsilon-by-round", "malicious-clients-by-round"]);
  });

  it("finds the numbers no figure draws: top-level numbers and clientMetrics sums", () => {
    const line = {
      round: 3,
      testAccuracy: 0.5,
      epsilon: 1,
      updateNorm: 0.25,
      clientMetrics: { dropped: 2, label: "x" },
      nested: { deep: 1 },
      text: "no",
    };
    assert.deepEqual(
      [...otherNumbers(line)],
      [
        ["updateNorm", 0.25],
        ["clientMetrics.dropped", 2],
      ],
    );
    const figures = roundFigures([{ label: "a", run: run([line]) }]).map((f) => f.name);
    assert.ok(figures.includes("other-metrics-by-round"));
  });
});
