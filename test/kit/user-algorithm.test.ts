import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { lastJson, runCli } from "../cli/cli-helpers.js";

const MODULE = fileURLToPath(new URL("../fixtures/kit/fedsgd-algorithm.ts", import.meta.url));
const quietIo = { progress: false } as const;

const small = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  algorithm: MODULE,
  dataset: "synthetic",
  clients: 20,
  sampleRatio: 0.2,
  rounds: 3,
  lr: 0.05,
  seed: 3,
  quiet: true,
  ...extra,
});

describe("a user-defined algorithm in a module outside src/", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-user-algo-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let reference = "";

  it("runs through runExperiment, with its options and metrics", async () => {
    const out = join(dir, "api");
    const summary = await runExperiment(small({ out, localSteps: 2, trainer: "serial" }), quietIo);
    assert.equal(summary.algorithm, "fedsgd-steps");
    reference = summary.modelSha256;
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    assert.equal(lines.length, 3);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.deepEqual(config.algorithmOptions, { localSteps: 2, serverLr: 1 });
  });

  it("gives the same model in a process pool, and its option changes the result", async () => {
    const pooled = await runExperiment(
      small({ localSteps: 2, trainer: "process", parallels: 2 }),
      quietIo,
    );
    assert.equal(pooled.modelSha256, reference);
    const other = await runExperiment(small({ localSteps: 4, trainer: "serial" }), quietIo);
    assert.notEqual(other.modelSha256, reference);
  });

  it("runs from the CLI with its options as flags, and refuses bad ones naming the flag", async () => {
    const args = ["run", "--algorithm", MODULE, "--clients", "20", "--sample-ratio", "0.2"];
    const ok = await runCli([
      ...args,
      "--rounds",
      "3",
      "--lr",
      "0.05",
      "--seed",
      "3",
      "--local-steps",
      "2",
      "--trainer",
      "thread",
      "--parallels",
      "2",
      "--quiet",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((lastJson(ok.stdout) as { modelSha256: string }).modelSha256, reference);
    const bad = await runCli([...args, "--local-steps", "0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /`--local-steps`/);
  });
});
