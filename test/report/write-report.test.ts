import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { writeReport } from "../../src/report/index.js";
import { drawnFigures, inkIn, plotAreaInk, ReportBrowser, viewData } from "./report-browser.js";
import { dpAttackLines, metricsOf, realRun, syntheticConfig, writeRunDir } from "./run-dirs.js";

const LINE_FIGURES = {
  "test-accuracy-by-round": "testAccuracy",
  "test-accuracy-by-time": "testAccuracy",
  "test-loss-by-round": "testLoss",
  "test-loss-by-time": "testLoss",
  "train-loss-by-round": "trainLoss",
} as const;

/** Rounds of `lines` where `field` is a number. */
function pointsOf(lines: readonly Record<string, unknown>[], field: string): number {
  return lines.filter((l) => typeof l[field] === "number").length;
}

describe("writeReport in a real browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-report-"));
  const browser = new ReportBrowser();
  const runA = join(dir, "run-a");
  const runB = join(dir, "run-b");
  before(async () => {
    // Two real runs that differ in lr, rounds and evalEvery; run B skips evaluating some rounds.
    await realRun(runA, ["--rounds", "4", "--lr", "0.05"]);
    await realRun(runB, ["--rounds", "5", "--lr", "0.2", "--eval-every", "2"]);
    await browser.start();
  });
  after(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws two real runs with every point each has, two series, offline and without errors", async () => {
    const file = join(dir, "two.html");
    const written = await writeReport([runA, runB], file);
    assert.deepEqual(written.notes, []);
    const { page, errors, requests } = await browser.open(file);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [pathToFileURL(file).href], "the report fetches nothing");
    const a = metricsOf(runA);
    const b = metricsOf(runB);
    assert.equal(pointsOf(b, "testAccuracy"), 3, "run B evaluated rounds 2, 4 and 5");
    const drawn = await drawnFigures(page);
    assert.deepEqual(Object.keys(drawn), written.figures);
    for (const [name, field] of Object.entries(LINE_FIGURES)) {
      const figure = drawn[name];
      assert.ok(figure !== undefined, name);
      assert.equal(figure.symbols, pointsOf(a, field) + pointsOf(b, field), `${name} points`);
      assert.equal(figure.lines, 2, `${name}: two series`);
      assert.equal(figure.legend.length, 2, `${name} legend ${figure.legend.join(" | ")}`);
      assert.match(figure.legend[0] as string, /lr=0\.05/);
      assert.match(figure.legend[1] as string, /lr=0\.2/);
      assert.match(figure.legend[1] as string, /evalEvery=2/);
    }
    // Three parts (training, aggregation + overhead, evaluation) per round of each run.
    assert.equal(drawn["seconds-per-round"]?.rects, (a.length + b.length) * 3);
    // One bar per client per run (20 clients).
    assert.equal(drawn.participation?.rects, 2 * 20);
    const sampled = (await viewData(page, "participation", "sampled")).reduce(
      (s, r) => s + (r.sampled as number),
      0,
    );
    assert.equal(
      sampled,
      [...a, ...b].reduce((s, l) => s + (l.clients as number[]).length, 0),
    );
    // Both runs trained on the same partition: one heatmap of 20 clients x 10 classes.
    assert.equal(drawn["partition-heatmap"]?.rects, 20 * 10);
    assert.equal(drawn["partition-heatmap-2"], undefined);
    const sizes = await viewData(page, "client-sizes", "sum_clients");
    assert.equal(
      sizes.reduce((s, r) => s + (r.sum_clients as number), 0),
      20,
    );
    // The summary table: one row per run with its last evaluated accuracy.
    const rows = await page.$$eval("table.summary tbody tr", (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent ?? "")),
    );
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.[2], Number(a.at(-1)?.testAccuracy).toFixed(4));
    assert.equal(rows[1]?.[2], Number(b.at(-1)?.testAccuracy).toFixed(4));
    // The plot areas are not blank: the curves and the heatmap put ink in them.
    const shot = process.env.BLAZEFL_REPORT_SCREENSHOTS;
    for (const name of ["test-accuracy-by-round", "partition-heatmap", "participation"]) {
      const ink = await plotAreaInk(
        page,
        name,
        shot !== undefined ? join(shot, `${name}.png`) : undefined,
      );
      assert.ok(ink.pixels > 10_000, `${name}: plot area ${ink.pixels} px`);
      assert.ok(ink.inked > 300, `${name}: ${ink.inked} of ${ink.pixels} pixels drawn`);
    }
    // The counter sees no ink where nothing is drawn: the empty strip right of the first chart.
    const strip = await page.evaluate(() => {
      const figure = document.querySelector("#figure-test-accuracy-by-round") as HTMLElement;
      figure.scrollIntoView();
      const r = figure.getBoundingClientRect();
      return { x: r.right - 60, y: r.top + 60, width: 40, height: 200 };
    });
    assert.equal((await inkIn(page, strip)).inked, 0, "a blank region has no ink");
    if (shot !== undefined) await page.screenshot({ path: join(shot, "page.png"), fullPage: true });
    await page.close();
  });

  it("draws ε, the client accuracy spread and malicious clients of a 100-round run, under 1 MB", async () => {
    const lines = dpAttackLines(100, 100, 10);
    const run = writeRunDir(join(dir, "dp-attack"), syntheticConfig(100), lines);
    const file = join(dir, "dp.html");
    const written = await writeReport([run], file);
    assert.ok(written.bytes < 1_000_000, `${written.bytes} bytes`);
    assert.equal(readFileSync(file).length, written.bytes);
    const { page, errors } = await browser.open(file);
    assert.deepEqual(errors, []);
    const drawn = await drawnFigures(page);
    assert.equal(drawn["epsilon-by-round"]?.symbols, 100);
    assert.equal(drawn["epsilon-by-round"]?.lines, 1);
    assert.equal(drawn["client-accuracy-by-round"]?.areas, 1, "the p10-p90 band");
    assert.equal(drawn["client-accuracy-by-round"]?.lines, 2, "the median and the minimum");
    assert.equal(drawn["client-accuracy-by-round"]?.symbols, 100);
    assert.equal(drawn["malicious-clients-by-round"]?.rects, 100);
    const malicious = await viewData(page, "malicious-clients-by-round", "value");
    assert.equal(
      malicious.reduce((s, r) => s + (r.value as number), 0),
      lines.reduce((s, l) => s + l.maliciousClients, 0),
    );
    // The algorithm's own numbers: two series of 100 points, one row each.
    assert.equal(drawn["other-metrics-by-round"]?.symbols, 2 * 100);
    assert.equal(drawn["other-metrics-by-round"]?.lines, 2);
    // Measured timings: training, aggregation, other and evaluation per round.
    assert.equal(drawn["seconds-per-round"]?.rects, 100 * 4);
    assert.equal(drawn["test-accuracy-by-round"]?.symbols, 100);
    assert.equal(drawn["test-accuracy-by-round"]?.legend.length, 0, "one run: no legend");
    const header = await page.$$eval("table.summary thead th", (ths) =>
      ths.map((th) => th.textContent),
    );
    assert.ok(header.includes("final ε") && header.includes("malicious clients (all rounds)"));
    for (const name of ["epsilon-by-round", "client-accuracy-by-round"])
      assert.ok((await plotAreaInk(page, name)).inked > 300, name);
    await page.close();
  });

  it("samples 100 of 10,000 clients in the heatmap and draws participation as a histogram", async () => {
    // A real 10,000-client run (LEAF Synthetic is generated lazily: 60 clients train).
    const run = join(dir, "big");
    await realRun(run, ["--clients", "10000", "--sample-ratio", "0.002", "--rounds", "3"]);
    const lines = metricsOf(run);
    const file = join(dir, "big.html");
    const written = await writeReport([run], file);
    const { page, errors } = await browser.open(file);
    assert.deepEqual(errors, []);
    const drawn = await drawnFigures(page);
    assert.equal(drawn["partition-heatmap"]?.rects, 100 * 10);
    assert.equal(drawn["test-accuracy-by-round"]?.symbols, 3);
    const histogram = await viewData(page, "participation", "clients");
    assert.equal(
      histogram.reduce((s, r) => s + (r.clients as number), 0),
      10_000,
      "every client is in one bar of the histogram",
    );
    const sampledOnce = new Set(lines.flatMap((l) => l.clients as number[])).size;
    assert.equal(histogram.find((r) => r.sampled === 0)?.clients, 10_000 - sampledOnce);
    const sizes = await viewData(page, "client-sizes", "sum_clients");
    assert.equal(
      sizes.reduce((s, r) => s + (r.sum_clients as number), 0),
      10_000,
    );
    assert.ok(written.bytes < 1_000_000, `${written.bytes} bytes`);
    assert.ok((await plotAreaInk(page, "partition-heatmap")).inked > 300);
    await page.close();
  });

  it("leaves out, with a note, a partition whose dataset is not on this machine", async () => {
    const missing = join(dir, "no-such-data");
    const run = writeRunDir(
      join(dir, "fmnist-elsewhere"),
      {
        ...syntheticConfig(10),
        dataset: "fashion-mnist",
        partition: "iid",
        model: "mlp",
        dataDir: missing,
      },
      metricsOf(runA),
    );
    const file = join(dir, "elsewhere.html");
    const written = await writeReport([run], file);
    assert.equal(written.notes.length, 1);
    assert.match(
      written.notes[0] as string,
      /fashion-mnist, iid, 10 clients.*could not be recomputed/,
    );
    assert.ok(!written.figures.includes("partition-heatmap"));
    const { page, errors } = await browser.open(file);
    assert.deepEqual(errors, []);
    assert.match((await page.textContent(".note")) ?? "", /could not be recomputed/);
    assert.equal((await drawnFigures(page))["test-accuracy-by-round"]?.symbols, 4);
    await page.close();
  });
});
