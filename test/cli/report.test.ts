import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { metricsOf, realRun } from "../report/run-dirs.js";
import { lastJson, runCli } from "./cli-helpers.js";

/** A PNG's width and height, from its IHDR chunk. */
function pngSize(bytes: Buffer): [number, number] {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe("blazefl report", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-cli-report-"));
  const run = join(dir, "run");
  before(() => realRun(run, ["--rounds", "3"]));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes report.html beside a single run and prints what it wrote", async () => {
    const result = await runCli(["report", run]);
    assert.equal(result.code, 0, result.stderr);
    const printed = lastJson(result.stdout);
    const file = join(run, "report.html");
    assert.deepEqual(printed.files, [file]);
    const html = readFileSync(file, "utf8");
    assert.equal(printed.bytes, Buffer.byteLength(html));
    assert.ok(html.startsWith("<!doctype html>"));
    // Nothing to fetch: no external scripts or styles (the browser test also sees no request).
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
    for (const name of printed.figures as string[])
      assert.ok(html.includes(`id="figure-${name}"`), name);
  });

  it("writes each figure as its own SVG or PNG file, named by figure", async () => {
    const svgDir = join(dir, "svg");
    const svg = await runCli(["report", run, "--format", "svg", "--out", svgDir]);
    assert.equal(svg.code, 0, svg.stderr);
    const figures = lastJson(svg.stdout).figures as string[];
    assert.ok(figures.includes("test-accuracy-by-round") && figures.includes("partition-heatmap"));
    assert.deepEqual(readdirSync(svgDir).sort(), figures.map((f) => `${f}.svg`).sort());
    const accuracy = readFileSync(join(svgDir, "test-accuracy-by-round.svg"), "utf8");
    const symbols =
      /<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s.exec(accuracy)?.[1] ?? "";
    assert.equal(
      (symbols.match(/<path/g) ?? []).length,
      metricsOf(run).length,
      "one point a round",
    );

    const pngDir = join(dir, "png");
    const png = await runCli(["report", run, "--format", "png", "--out", pngDir, "--no-partition"]);
    assert.equal(png.code, 0, png.stderr);
    const pngFigures = lastJson(png.stdout).figures as string[];
    assert.ok(!pngFigures.includes("partition-heatmap"), "--no-partition draws no partition");
    const bytes = readFileSync(join(pngDir, "test-accuracy-by-round.png"));
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(accuracy)?.[1]);
    assert.deepEqual(pngSize(bytes)[0], 2 * width, "PNG at twice the SVG's size");
  });

  it("exits 2 naming the file (and line) for a missing or malformed metrics.jsonl", async () => {
    const broken = join(dir, "broken");
    cpSync(run, broken, { recursive: true });
    rmSync(join(broken, "report.html"), { force: true });
    const metrics = join(broken, "metrics.jsonl");
    const lines = readFileSync(metrics, "utf8").trim().split("\n");
    writeFileSync(metrics, `${lines[0]}\n{"round": 2, "testLoss": "x"}\n`);
    let result = await runCli(["report", broken]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`${metrics} line 2: \`testLoss\` is "x"`));
    writeFileSync(metrics, `${lines[0]}\n${lines[1]?.slice(0, 20)}\n`);
    result = await runCli(["report", broken]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${metrics} line 2 is not valid JSON`));
    rmSync(metrics);
    result = await runCli(["report", broken]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${metrics} is missing`));
    result = await runCli(["report", run, "--format", "pdf"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /`--format`.*html, svg or png/);
    assert.ok(!existsSync(join(broken, "report.html")));
  });

  it("data stats --out writes the partition figures", async () => {
    const file = join(dir, "partition.html");
    const result = await runCli([
      "data",
      "stats",
      "--dataset",
      "fashion-mnist",
      "--partition",
      "shards:2",
      "--clients",
      "40",
      "--out",
      file,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const printed = lastJson(result.stdout);
    assert.equal(printed.report, file);
    assert.equal((printed.clients as unknown[]).length, 40);
    const html = readFileSync(file, "utf8");
    assert.ok(
      html.includes('id="figure-partition-heatmap"') && html.includes('id="figure-client-sizes"'),
    );
    assert.ok(html.includes("fashion-mnist, shards:2, 40 clients, seed 42"));
  });
});
