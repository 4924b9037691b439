/**
 * bench/reproduce/fedprox-synthetic: FedProx against FedAvg on LEAF Synthetic(1,1) in the FedProx
 * paper's setup (Li et al., MLSys 2020; its repository's synthetic_1_1 run): 30 clients, 10 a
 * round, logistic regression with an L2 penalty of 0.001 (weight decay), 20 local epochs, batch
 * 10, lr 0.01, μ ∈ {0, 1}; and with 50 % and 90 % stragglers, dropped for FedAvg (μ = 0,
 * `dropStragglers`) and kept with their partial work for FedProx (μ = 1).
 *
 * Runs everything through `runExperiment` (process trainer, 2 workers). The training loss is the
 * final global model's sample-weighted mean over all 30 clients' training data. Prints one JSON
 * line per run, a summary with the paper's expectations checked, and a Markdown table. Never
 * fails on a result. Usage:
 *   node --import tsx bench/reproduce/fedprox-synthetic.ts [--rounds 50] [--stragglers 0,0.5,0.9]
 *     [--seed 42] [--parallels 2] [--with-mu0-kept]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { evaluateOnAllClients } from "./global-loss.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "50" },
    stragglers: { type: "string", default: "0,0.5,0.9" },
    seed: { type: "string", default: "42" },
    parallels: { type: "string", default: "2" },
    "eval-every": { type: "string", default: "5" },
    "with-mu0-kept": { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);

interface Config {
  readonly label: string;
  readonly mu: number;
  readonly stragglers: number;
  readonly dropStragglers: boolean;
}
const configs: Config[] = [];
for (const s of values.stragglers.split(",").map(Number)) {
  if (s === 0) {
    configs.push({ label: "FedAvg (μ=0)", mu: 0, stragglers: 0, dropStragglers: false });
    configs.push({ label: "FedProx (μ=1)", mu: 1, stragglers: 0, dropStragglers: false });
  } else {
    configs.push({ label: "FedAvg (μ=0, drop)", mu: 0, stragglers: s, dropStragglers: true });
    if (values["with-mu0-kept"])
      configs.push({ label: "FedProx (μ=0, keep)", mu: 0, stragglers: s, dropStragglers: false });
    configs.push({ label: "FedProx (μ=1, keep)", mu: 1, stragglers: s, dropStragglers: false });
  }
}

interface Row extends Config {
  rounds: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  testLoss: number;
  testAccuracyCurve: (number | null)[];
  roundSecondsMedian: number;
  seconds: number;
  modelSha256: string;
  load1: number;
}
const rows: Row[] = [];
for (const c of configs) {
  const out = mkdtempSync(join(tmpdir(), "blazefl-repro-fedprox-"));
  const options = {
    algorithm: "fedprox",
    dataset: "synthetic",
    partition: "natural",
    syntheticAlpha: 1,
    syntheticBeta: 1,
    model: "logreg",
    clients: 30,
    sampleRatio: 10 / 30 + 1e-9, // floor(30 x ratio) = 10 clients a round
    rounds,
    epochs: 20,
    batchSize: 10,
    lr: 0.01,
    weightDecay: 0.001,
    seed: Number(values.seed),
    evalEvery: Number(values["eval-every"]),
    trainer: "process",
    parallels: Number(values.parallels),
    quiet: true,
    out,
    mu: c.mu,
    stragglers: c.stragglers,
    dropStragglers: c.dropStragglers,
  };
  const load1 = loadavg()[0] ?? Number.NaN;
  const t0 = performance.now();
  const summary = await runExperiment(options);
  const seconds = (performance.now() - t0) / 1000;
  const train = await evaluateOnAllClients(options, out);
  const curve = readFileSync(join(out, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { testAccuracy: number | null }).testAccuracy)
    .filter((a) => a !== null);
  rmSync(out, { recursive: true, force: true });
  const row: Row = {
    ...c,
    rounds: summary.rounds,
    trainLoss: train.trainLoss,
    trainAccuracy: train.trainAccuracy,
    testAccuracy: summary.testAccuracy,
    testLoss: summary.testLoss,
    testAccuracyCurve: curve,
    roundSecondsMedian: summary.roundSecondsMedian,
    seconds,
    modelSha256: summary.modelSha256,
    load1,
  };
  rows.push(row);
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

const find = (mu: number, s: number) => rows.find((r) => r.mu === mu && r.stragglers === s);
const checks: Record<string, boolean | null> = {};
for (const s of values.stragglers.split(",").map(Number)) {
  const avg = find(0, s);
  const prox = find(1, s);
  if (avg === undefined || prox === undefined) continue;
  const tag = s === 0 ? "no stragglers" : `${s * 100}% stragglers`;
  checks[`${tag}: FedProx μ=1 lower training loss`] = prox.trainLoss < avg.trainLoss;
  checks[`${tag}: FedProx μ=1 higher test accuracy`] = prox.testAccuracy > avg.testAccuracy;
}
const base0 = find(0, 0);
const base1 = find(1, 0);
for (const s of values.stragglers
  .split(",")
  .map(Number)
  .filter((x) => x > 0)) {
  const avg = find(0, s);
  const prox = find(1, s);
  if (base0 && avg)
    checks[`${s * 100}% stragglers: FedAvg worse than without`] = avg.trainLoss > base0.trainLoss;
  if (base0 && base1 && avg && prox)
    checks[`${s * 100}% stragglers: FedProx μ=1 moves less than FedAvg (training loss)`] =
      Math.abs(prox.trainLoss - base1.trainLoss) < Math.abs(avg.trainLoss - base0.trainLoss);
}
process.stdout.write(`${JSON.stringify({ summary: { rounds, checks } })}\n`);
const f = (x: number) => x.toFixed(3);
const table = [
  "| run | stragglers | training loss | test accuracy | s / round |",
  "| --- | ---: | ---: | ---: | ---: |",
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.stragglers * 100} % | ${f(r.trainLoss)} | ${f(r.testAccuracy)} | ${r.roundSecondsMedian.toFixed(2)} |`,
  ),
];
process.stdout.write(`\n${table.join("\n")}\n`);
