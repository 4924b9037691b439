/**
 * bench/reproduce/scaffold-skew: SCAFFOLD (option II) against FedAvg under strong label skew
 * (Karimireddy et al., ICML 2020): Fashion-MNIST, the MLP, `shards:2` (most clients see two
 * classes) by default, the same clients, rounds, local epochs and learning rate for both.
 *
 * Runs everything through `runExperiment` (process trainer, 2 workers). The training loss is the
 * final global model's sample-weighted mean over all clients' training data. `--lrs` runs each
 * algorithm at each local learning rate (a sweep, reported as such). Prints one JSON line per
 * run, a summary with the expectation checked per lr, and a Markdown table. Never fails on a
 * result. Usage:
 *   node --import tsx bench/reproduce/scaffold-skew.ts [--partition shards:2] [--clients 100]
 *     [--sample-ratio 0.1] [--rounds 30] [--epochs 2] [--batch-size 32] [--lrs 0.01]
 *     [--seed 42] [--parallels 2]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { median } from "../median.js";
import { evaluateOnAllClients } from "./global-loss.js";

const { values } = parseArgs({
  options: {
    partition: { type: "string", default: "shards:2" },
    clients: { type: "string", default: "100" },
    "sample-ratio": { type: "string", default: "0.1" },
    rounds: { type: "string", default: "30" },
    epochs: { type: "string", default: "2" },
    "batch-size": { type: "string", default: "32" },
    lrs: { type: "string", default: "0.01" },
    seed: { type: "string", default: "42" },
    parallels: { type: "string", default: "2" },
    "eval-every": { type: "string", default: "5" },
  },
});

interface Row {
  algorithm: string;
  lr: number;
  rounds: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  testLoss: number;
  testAccuracyCurve: number[];
  roundSecondsMedian: number;
  clientSecondsPerClientMedian: number;
  seconds: number;
  modelSha256: string;
  load1: number;
}

const rows: Row[] = [];
const lrs = values.lrs.split(",").map(Number);
for (const lr of lrs) {
  for (const algorithm of ["fedavg", "scaffold"]) {
    const out = mkdtempSync(join(tmpdir(), "blazefl-repro-scaffold-"));
    const options = {
      algorithm,
      dataset: "fashion-mnist",
      model: "mlp",
      partition: values.partition,
      clients: Number(values.clients),
      sampleRatio: Number(values["sample-ratio"]),
      rounds: Number(values.rounds),
      epochs: Number(values.epochs),
      batchSize: Number(values["batch-size"]),
      lr,
      seed: Number(values.seed),
      evalEvery: Number(values["eval-every"]),
      trainer: "process",
      parallels: Number(values.parallels),
      quiet: true,
      out,
    };
    const load1 = loadavg()[0] ?? Number.NaN;
    const t0 = performance.now();
    const summary = await runExperiment(options);
    const seconds = (performance.now() - t0) / 1000;
    const train = await evaluateOnAllClients(options, out);
    const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            testAccuracy: number | null;
            clientSeconds: number;
            clients: number[];
          },
      );
    rmSync(out, { recursive: true, force: true });
    const row: Row = {
      algorithm,
      lr,
      rounds: summary.rounds,
      trainLoss: train.trainLoss,
      trainAccuracy: train.trainAccuracy,
      testAccuracy: summary.testAccuracy,
      testLoss: summary.testLoss,
      testAccuracyCurve: metrics.flatMap((m) => (m.testAccuracy === null ? [] : [m.testAccuracy])),
      roundSecondsMedian: summary.roundSecondsMedian,
      clientSecondsPerClientMedian: median(
        metrics.slice(1).map((m) => m.clientSeconds / m.clients.length),
      ),
      seconds,
      modelSha256: summary.modelSha256,
      load1,
    };
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}

const checks: Record<string, boolean> = {};
for (const lr of lrs) {
  const avg = rows.find((r) => r.algorithm === "fedavg" && r.lr === lr);
  const sc = rows.find((r) => r.algorithm === "scaffold" && r.lr === lr);
  if (avg === undefined || sc === undefined) continue;
  checks[`lr ${lr}: SCAFFOLD lower training loss`] = sc.trainLoss < avg.trainLoss;
  checks[`lr ${lr}: SCAFFOLD higher test accuracy`] = sc.testAccuracy > avg.testAccuracy;
}
process.stdout.write(
  `${JSON.stringify({ summary: { partition: values.partition, rounds: Number(values.rounds), checks } })}\n`,
);
const f = (x: number) => x.toFixed(3);
const table = [
  "| algorithm | lr | training loss | test accuracy | s / round |",
  "| --- | ---: | ---: | ---: | ---: |",
  ...rows.map(
    (r) =>
      `| ${r.algorithm} | ${r.lr} | ${f(r.trainLoss)} | ${f(r.testAccuracy)} | ${r.roundSecondsMedian.toFixed(2)} |`,
  ),
];
process.stdout.write(`\n${table.join("\n")}\n`);
