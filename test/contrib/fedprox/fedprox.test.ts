import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { runExperiment } from "../../../src/kit/run-experiment.js";

const quietIo = { progress: false } as const;

function small(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    algorithm: "fedprox",
    dataset: "synthetic",
    clients: 20,
    sampleRatio: 0.5,
    rounds: 3,
    epochs: 3,
    batchSize: 10,
    lr: 0.02,
    seed: 5,
    quiet: true,
    ...extra,
  };
}

describe("FedProx", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-fedprox-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("with μ = 0 and no stragglers is FedAvg, bit for bit; μ > 0 changes the model", async () => {
    const fedavg = await runExperiment(small({ algorithm: "fedavg", trainer: "serial" }), quietIo);
    const mu0 = await runExperiment(small({ mu: 0, trainer: "serial" }), quietIo);
    assert.equal(mu0.modelSha256, fedavg.modelSha256);
    const mu1 = await runExperiment(small({ mu: 1, trainer: "serial" }), quietIo);
    assert.notEqual(mu1.modelSha256, fedavg.modelSha256);
  });

  it("drops a seeded half of each round's clients with --drop-stragglers, the same ones on every trainer", async () => {
    const out = join(dir, "drop");
    const serial = await runExperiment(
      small({ mu: 0, stragglers: 0.5, dropStragglers: true, trainer: "serial", out }),
      quietIo,
    );
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { clientMetrics?: { dropped?: number } });
    assert.deepEqual(
      lines.map((l) => l.clientMetrics?.dropped),
      [5, 5, 5],
    );
    const pooled = await runExperiment(
      small({ mu: 0, stragglers: 0.5, dropStragglers: true, trainer: "process", parallels: 2 }),
      quietIo,
    );
    assert.equal(pooled.modelSha256, serial.modelSha256);
  });

  it("keeps stragglers' partial work (1..E-1 epochs): one model across trainers, unlike dropping", async () => {
    const kept = await runExperiment(small({ mu: 1, stragglers: 0.5, trainer: "serial" }), quietIo);
    const thread = await runExperiment(
      small({ mu: 1, stragglers: 0.5, trainer: "thread", parallels: 2 }),
      quietIo,
    );
    assert.equal(thread.modelSha256, kept.modelSha256);
    const full = await runExperiment(small({ mu: 1, trainer: "serial" }), quietIo);
    assert.notEqual(full.modelSha256, kept.modelSha256);
  });

  it("refuses --resume with another μ (it would change results), and stragglers with one epoch", async () => {
    const out = join(dir, "resume");
    await runExperiment(small({ mu: 1, trainer: "serial", out, rounds: 1 }), quietIo);
    await assert.rejects(
      runExperiment(small({ mu: 0.5, trainer: "serial", out, resume: true }), quietIo),
      (e: unknown) => e instanceof OptionsError && e.option === "--resume",
    );
    await assert.rejects(
      runExperiment(small({ stragglers: 0.5, epochs: 1, trainer: "serial" }), quietIo),
      (e: unknown) => e instanceof OptionsError && e.option === "--stragglers",
    );
  });
});
