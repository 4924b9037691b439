import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AbortError, OptionsError } from "../../src/core/errors.js";
import { readCheckpoint } from "../../src/kit/checkpoint.js";
import { type RunSummary, runExperiment } from "../../src/kit/run-experiment.js";

const quietIo = { stdout: () => {}, stderr: () => {}, progress: false } as const;

/** A small workload: 20 synthetic clients, 4 a round, logistic regression. */
function small(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset: "synthetic",
    clients: 20,
    sampleRatio: 0.2,
    rounds: 3,
    batchSize: 16,
    lr: 0.05,
    seed: 7,
    quiet: true,
    ...extra,
  };
}

describe("runExperiment with FedAvg", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-run-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let reference: RunSummary | undefined;

  it("writes the contract's files and a summary whose accuracy beats chance", async () => {
    const out = join(dir, "serial");
    reference = await runExperiment(small({ trainer: "serial", out }), quietIo);
    assert.equal(reference.rounds, 3);
    assert.ok(reference.testAccuracy > 0.1, `accuracy ${reference.testAccuracy}`);
    assert.match(reference.modelSha256, /^[0-9a-f]{64}$/);
    for (const file of [
      "config.json",
      "metrics.jsonl",
      "model.f32",
      "model.json",
      "checkpoint/latest.ckpt",
    ])
      assert.ok(existsSync(join(out, file)), file);
    const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      metrics.map((m) => m.round),
      [1, 2, 3],
    );
    for (const m of metrics) {
      assert.equal(m.clients.length, 4);
      assert.ok(m.roundSeconds > 0 && m.evalSeconds > 0);
      assert.ok(m.testAccuracy >= 0 && m.testAccuracy <= 1 && Number.isFinite(m.testLoss));
    }
    const modelJson = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
    assert.equal(modelJson.sha256, reference.modelSha256);
    assert.equal(readFileSync(join(out, "model.f32")).length, modelJson.numParameters * 4);
    assert.deepEqual(
      modelJson.layers.map((l: { name: string }) => l.name),
      ["fc.weight", "fc.bias"],
    );
    assert.equal(readCheckpoint(out)?.header.round, 3);
  });

  for (const [trainer, parallels] of [
    ["thread", 1],
    ["thread", 2],
    ["process", 1],
    ["process", 2],
  ] as const) {
    it(`gives the serial trainer's model bit for bit with --trainer ${trainer} --parallels ${parallels}`, async () => {
      const summary = await runExperiment(small({ trainer, parallels }), quietIo);
      assert.equal(summary.modelSha256, reference?.modelSha256);
      assert.equal(summary.testAccuracy, reference?.testAccuracy);
      assert.equal(summary.testLoss, reference?.testLoss);
    });
  }

  it("resumes exactly: 1 round, then --resume to 3, equals 3 uninterrupted rounds", async () => {
    const out = join(dir, "resume");
    await runExperiment(small({ trainer: "serial", out, rounds: 1 }), quietIo);
    assert.equal(readCheckpoint(out)?.header.round, 1);
    const resumed = await runExperiment(
      small({ trainer: "process", parallels: 2, out, rounds: 3, resume: true }),
      quietIo,
    );
    assert.equal(resumed.modelSha256, reference?.modelSha256);
    const rounds = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).round);
    assert.deepEqual(rounds, [1, 2, 3]);
  });

  it("refuses to overwrite a run without --resume, and to resume with other results-changing options", async () => {
    const out = join(dir, "serial");
    await assert.rejects(
      runExperiment(small({ trainer: "serial", out }), quietIo),
      (e: unknown) => {
        assert.ok(e instanceof OptionsError);
        assert.equal(e.option, "--out");
        return true;
      },
    );
    await assert.rejects(
      runExperiment(small({ trainer: "serial", out, resume: true, lr: 0.1 }), quietIo),
      /--resume/,
    );
  });

  it("rejects with an AbortError when its signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      runExperiment(small({ trainer: "serial" }), { ...quietIo, signal: controller.signal }),
      AbortError,
    );
  });
});
