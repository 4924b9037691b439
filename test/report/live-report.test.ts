import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { LiveReport } from "../../src/report/live-report.js";
import { parseRoundRecords } from "../../src/report/read-run.js";
import { dpAttackLines, syntheticConfig, writeRunDir } from "./run-dirs.js";

describe("LiveReport", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-live-report-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("rewrites a live page that reloads itself, skips writes that come too soon, and finishes", async () => {
    const lines = dpAttackLines(3, 20, 4);
    const run = writeRunDir(join(dir, "run"), syntheticConfig(20), lines.slice(0, 1));
    const file = join(dir, "run", "report.html");
    const report = new LiveReport(run, file, { minIntervalSeconds: 3600, partition: false });
    const first = await report.update();
    assert.ok(first !== undefined, "the first update writes");
    assert.match(readFileSync(file, "utf8"), /<meta http-equiv="refresh" content="5">/);
    appendFileSync(join(run, "metrics.jsonl"), `${JSON.stringify(lines[1])}\n`);
    assert.equal(await report.update(), undefined, "within the interval: no write");
    assert.equal((readFileSync(file, "utf8").match(/"round":2/g) ?? []).length, 0);
    appendFileSync(join(run, "metrics.jsonl"), `${JSON.stringify(lines[2])}\n`);
    const final = await report.finish();
    const html = readFileSync(file, "utf8");
    assert.equal(final.bytes, Buffer.byteLength(html));
    assert.doesNotMatch(html, /http-equiv="refresh"/, "the finished page stays put");
    assert.ok(html.includes('"round":3'), "the last round is in the final page");
  });

  it("follows a real run through runExperiment's onRound: a report after every round", async () => {
    const out = join(dir, "live-run");
    const file = join(out, "report.html");
    const report = new LiveReport(out, file, { minIntervalSeconds: 0 });
    const seen: number[] = [];
    await runExperiment(
      {
        dataset: "synthetic",
        clients: 20,
        sampleRatio: 0.2,
        rounds: 3,
        batchSize: 16,
        lr: 0.05,
        seed: 7,
        trainer: "serial",
        quiet: true,
        out,
      },
      {
        progress: false,
        onRound: async (metrics) => {
          // The first round always writes; later ones write unless the last write was recent.
          const written = await report.update();
          if (written !== undefined) {
            const html = readFileSync(file, "utf8");
            assert.ok(html.includes(`"round":${metrics.round}`), `round ${metrics.round} drawn`);
            seen.push(metrics.round);
          }
        },
      },
    );
    const final = await report.finish();
    assert.equal(seen[0], 1);
    const rounds = parseRoundRecords(readFileSync(join(out, "metrics.jsonl"), "utf8"), "m");
    assert.equal(rounds.length, 3);
    assert.ok(final.figures.includes("test-accuracy-by-round"));
    assert.ok(final.figures.includes("partition-heatmap"));
    assert.ok(readFileSync(file, "utf8").includes('"round":3'));
  });
});
