import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { exitCodeFor } from "../../src/core/errors.js";
import { readCheckpoint } from "../../src/kit/checkpoint.js";
import { DivergenceError } from "../../src/kit/divergence-error.js";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { RUN_LOCK_FILE } from "../../src/kit/run-lock.js";
import { finished, runCli, startCli } from "../cli/cli-helpers.js";

const quietIo = { stdout: () => {}, stderr: () => {}, progress: false } as const;

function small(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset: "synthetic",
    clients: 20,
    sampleRatio: 0.2,
    rounds: 3,
    batchSize: 16,
    lr: 0.05,
    seed: 7,
    trainer: "serial",
    quiet: true,
    ...extra,
  };
}

describe("runExperiment's --out: locked, appended, resumable", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-reliable-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a second run into a busy --out exits 2 naming --out; the lock goes with the first", async (t) => {
    const out = join(dir, "busy");
    const args = ["run", "--trainer", "serial", "--clients", "20", "--model", "logreg"];
    const first = startCli([...args, "--rounds", "100000", "--out", out, "--quiet"]);
    const firstDone = finished(first);
    t.after(() => {
      if (first.exitCode === null) first.kill("SIGKILL");
    });
    // Once the first run has finished a round, it holds the lock (from its first look at --out).
    const metrics = join(out, "metrics.jsonl");
    while (!existsSync(metrics) || !readFileSync(metrics, "utf8").includes("\n")) await sleep(20);
    assert.ok(existsSync(join(out, RUN_LOCK_FILE)));
    // Other options, so that without the lock this would fail on --resume's digest instead.
    const second = await runCli([
      ...args,
      ...["--rounds", "100000", "--seed", "99", "--out", out, "--resume", "--quiet"],
    ]);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, /`--out`.*no other run is writing \(run \d+ on /);
    first.kill("SIGTERM");
    const { code } = await firstDone;
    assert.equal(code, 143, "SIGTERM: 128 + 15, after the clean-up");
    assert.ok(!existsSync(join(out, RUN_LOCK_FILE)), "released when the first run stopped");
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as {
      rounds: number;
    };
    assert.equal(config.rounds, 100000, "config.json is still the first run's");
  });

  it("a torn last metrics line (a crash mid-append) is cut on --resume; the model is the uninterrupted one", async () => {
    const reference = await runExperiment(small(), quietIo);
    const out = join(dir, "torn");
    await runExperiment(small({ out, rounds: 2 }), quietIo);
    appendFileSync(join(out, "metrics.jsonl"), '{"round":3,"clients":[1,');
    const notices: string[] = [];
    const resumed = await runExperiment(small({ out, resume: true }), {
      ...quietIo,
      stderr: (line: string) => notices.push(line),
    });
    assert.equal(resumed.modelSha256, reference.modelSha256);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n");
    assert.equal(lines.pop(), "", "ends with a complete line");
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { round: number }).round),
      [1, 2, 3],
    );
    assert.ok(
      notices.some((n) => /metrics\.jsonl: line 3 is torn/.test(n)),
      notices.join("\n"),
    );
    // Run, interrupted run and resumed run each released the lock.
    assert.ok(!existsSync(join(out, RUN_LOCK_FILE)));
  });

  it("divergence is found in pool workers too (thread, process)", async () => {
    for (const trainer of ["thread", "process"])
      await assert.rejects(
        runExperiment(
          small({ trainer, parallels: 2, model: "mlp", lr: 1000, momentum: 0.99, rounds: 5 }),
          quietIo,
        ),
        (error: unknown) =>
          error instanceof DivergenceError &&
          /^Training diverged in round \d+: client \d+'s model\[\d+\] is /.test(error.message),
        trainer,
      );
  });

  it("divergence stops the run naming the round and the client, exit 1, the last checkpoint intact", async () => {
    const out = join(dir, "diverged");
    await assert.rejects(
      runExperiment(small({ out, model: "mlp", lr: 1000, momentum: 0.99, rounds: 5 }), quietIo),
      (error: unknown) => {
        assert.ok(error instanceof DivergenceError, String(error));
        assert.match(
          error.message,
          /^Training diverged in round \d+: client \d+'s model\[\d+\] is (NaN|-?Infinity)\. Lower the learning rate \(--lr 1000, --momentum 0\.99\)/,
        );
        assert.equal(exitCodeFor(error), 1);
        assert.equal(readCheckpoint(out)?.header.round ?? 0, error.round - 1);
        return true;
      },
    );
    assert.ok(!existsSync(join(out, RUN_LOCK_FILE)));
  });
});
