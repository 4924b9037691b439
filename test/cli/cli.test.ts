import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readCheckpoint } from "../../src/kit/checkpoint.js";
import { finished, lastJson, processesTagged, runCli, startCli } from "./cli-helpers.js";

const SMALL = [
  "--clients",
  "20",
  "--sample-ratio",
  "0.2",
  "--batch-size",
  "16",
  "--lr",
  "0.05",
  "--seed",
  "7",
];

/** Resolves once `file` exists in `dir` (fs.watch, no polling sleeps). */
function whenFileAppears(dir: string, name: string, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    const watcher = watch(dir, { recursive: true }, () => {
      if (check()) {
        watcher.close();
        resolve();
      }
    });
    void name;
  });
}

describe("blazefl command", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-cli-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 2 and names the option for bad options", async () => {
    for (const [args, pattern] of [
      [["run", "--sample-ratio", "0"], /`--sample-ratio`/],
      [["run", "--clients", "many"], /`--clients`/],
      [["run", "--trainer", "gpu"], /`--trainer`.*serial, thread, process, redis/],
      [["run", "--partition", "dirichlet:-1"], /--partition/],
      [["run", "--dataset", "imagenet"], /`--dataset`/],
      [["run", "--trainer", "redis"], /`--redis`/],
      [["run", "--no-such-flag"], /`--no-such-flag`.*unknown option/],
      [
        ["run", "--algorithm", "fednope"],
        /`--algorithm`.*ditto, fedadagrad, fedadam, fedavg, fedavgm, feddyn, fednova, fedprox, fedyogi, scaffold/,
      ],
      [["run", "--algorithm", "fedprox", "--mu", "-1"], /`--mu`.*>= 0, got -1/],
      [["run", "--algorithm", "fedprox", "--mu", "0x10"], /`--mu`/],
      [["run", "--algorithm", "fedprox", "--server-lr", "1"], /`--server-lr`.*fedprox takes --mu/],
      [["run", "--algorithm", "scaffold", "--mu", "1"], /`--mu`.*scaffold takes --server-lr/],
      [["run", "--algorithm", "./no/such/module.js"], /`--algorithm`.*importable module/],
      [["run", "--seed", ""], /`--seed`/],
      [["run", "--lr", "0x10"], /`--lr`/],
      [["run", "--report"], /`--report`.*--out/],
      [["run", "--clients", "1e10"], /`--clients`.*<= 10000000/],
      [["run", "--shm-dir", "/no/such/dir"], /`--shm-dir`.*writable directory/],
    ] as const) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
    }
  });

  it("quickstart trains, prints the summary last and the path of its report, which exists", async () => {
    const out = join(dir, "quickstart");
    const result = await runCli([
      "quickstart",
      "--rounds",
      "2",
      "--trainer",
      "serial",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson(result.stdout) as { rounds: number; report: string };
    assert.equal(summary.rounds, 2);
    assert.equal(summary.report, join(out, "report.html"));
    assert.match(result.stderr, new RegExp(`report.*${summary.report}`));
    const { readFileSync } = await import("node:fs");
    assert.match(readFileSync(summary.report, "utf8"), /<html/i);
  });

  it("keeps training when its stdout is closed (| head -1), and writes every round to --out", async () => {
    const out = join(dir, "closed-stdout");
    const child = startCli(["run", ...SMALL, "--rounds", "4", "--trainer", "serial", "--out", out]);
    child.stdout?.once("data", () => child.stdout?.destroy());
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE/);
    const { readFileSync } = await import("node:fs");
    assert.equal(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").length, 4);
  });

  it("reads --config, with flags overriding it, and prints the JSON summary last", async () => {
    const config = join(dir, "config.json");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      config,
      JSON.stringify({
        clients: 20,
        "sample-ratio": 0.2,
        rounds: 5,
        seed: 7,
        lr: 0.05,
        batchSize: 16,
      }),
    );
    const result = await runCli([
      "run",
      "--config",
      config,
      "--rounds",
      "2",
      "--trainer",
      "serial",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson(result.stdout);
    assert.equal(summary.rounds, 2);
    assert.deepEqual(Object.keys(summary).slice(0, 5), [
      "rounds",
      "testAccuracy",
      "testLoss",
      "modelSha256",
      "roundSecondsMedian",
    ]);
    assert.match(result.stdout, /^round 1\/2: /m);
    writeFileSync(config, "{ not json");
    const bad = await runCli(["run", "--config", config]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /`--config`/);
  });

  it("stops on a real SIGINT with exit 130, leaves no worker process, and resumes to the same model", async () => {
    const tag = randomUUID();
    const out = join(dir, "interrupted");
    const child = startCli(
      ["run", ...SMALL, "--rounds", "40", "--trainer", "process", "--parallels", "2", "--out", out],
      tag,
    );
    const done = finished(child);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(out, { recursive: true });
    await whenFileAppears(out, "checkpoint", () => {
      try {
        return (readCheckpoint(out)?.header.round ?? 0) >= 1;
      } catch {
        return false;
      }
    });
    assert.ok(processesTagged(tag).length >= 3, "the CLI and its two workers run");
    child.kill("SIGINT");
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    assert.deepEqual(processesTagged(tag), [], "no process of the run is left");
    const stoppedAt = readCheckpoint(out)?.header.round ?? 0;
    assert.ok(stoppedAt >= 1 && stoppedAt < 40);

    const resumed = await runCli([
      "run",
      ...SMALL,
      "--rounds",
      "40",
      "--trainer",
      "serial",
      "--out",
      out,
      "--resume",
      "--quiet",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const straight = await runCli([
      "run",
      ...SMALL,
      "--rounds",
      "40",
      "--trainer",
      "serial",
      "--quiet",
    ]);
    assert.equal(lastJson(resumed.stdout).modelSha256, lastJson(straight.stdout).modelSha256);
  });
});
