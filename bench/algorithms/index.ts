/**
 * bench/algorithms: every algorithm of the library side by side with FedAvg on one workload
 * (default: fmnist-mlp, Dirichlet 0.3, 100 clients, 10 a round, 30 rounds, 1 epoch, batch 32,
 * lr 0.05, serial trainer): final and best test accuracy, rounds to target accuracies, seconds
 * per round (training + aggregation, from a separate timing pass) and its ratio to FedAvg's,
 * and, where the algorithm reports them, the sampled clients' accuracy on their own test splits
 * (mean and 10th percentile; Ditto: its personal models' too), and the server part's own work
 * per round timed alone.
 *
 * The server learning rates suit this workload, not the paper's EMNIST defaults: they were
 * picked from short grids on it (FedAdam 0.003/0.01/0.03, FedYogi 0.01/0.03, FedAdagrad
 * 0.03/0.1, FedAvgM 0.3/1; β2 0.99). The FedOpt pseudo-gradient is sample-weighted like FedAvg's
 * average (`--weighted`, Flower's choice), so the comparison isolates the server optimizer.
 *
 * Prints one JSON object per algorithm, a summary object, then a Markdown table. Never fails
 * on time. Usage:
 *   node --import tsx bench/algorithms/index.ts [--rounds 30] [--targets 0.75,0.78]
 *     [--algorithms fedavg,fedadam,...] [--trainer serial|thread|process] [--parallels 2]
 */
import { parseArgs } from "node:util";
import { parseAlgorithmOptions, resolveAlgorithm } from "../../src/kit/registry.js";
import { type RoundMetrics, runExperiment } from "../../src/kit/run-experiment.js";
import { createModel } from "../../src/models/create-model.js";
import { median } from "../median.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "30" },
    targets: { type: "string", default: "0.75,0.78" },
    algorithms: { type: "string" },
    trainer: { type: "string", default: "serial" },
    parallels: { type: "string", default: "2" },
    partition: { type: "string", default: "dirichlet:0.3" },
    "timing-reps": { type: "string", default: "3" },
    "timing-rounds": { type: "string", default: "3" },
  },
});

/** Each algorithm's options on this workload; `federatedEval` where the algorithm takes it. */
const ALGORITHMS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  fedavg: {},
  fedprox: { mu: 0.01 },
  scaffold: {},
  fedavgm: { serverLr: 1, serverMomentum: 0.9, weighted: true, federatedEval: true },
  fedadagrad: { serverLr: 0.1, weighted: true, federatedEval: true },
  fedyogi: { serverLr: 0.03, beta2: 0.99, weighted: true, federatedEval: true },
  fedadam: { serverLr: 0.03, beta2: 0.99, weighted: true, federatedEval: true },
  fednova: { federatedEval: true },
  feddyn: { alpha: 0.01, federatedEval: true },
  ditto: { lambda: 0.1 },
};

const rounds = Number(values.rounds);
const targets = values.targets.split(",").map(Number);
const names = values.algorithms?.split(",") ?? Object.keys(ALGORITHMS);

interface Row {
  readonly algorithm: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly finalAccuracy: number;
  readonly bestAccuracy: number;
  readonly roundsToTarget: readonly (number | null)[];
  readonly secondsPerRound: number;
  readonly serverMsPerRound: number;
  readonly clientAccuracyMean: number | null;
  readonly clientAccuracyP10: number | null;
  readonly personalAccuracyMean: number | null;
  readonly personalAccuracyP10: number | null;
  readonly modelSha256: string;
}

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

/** Runs `algorithm` for `roundCount` rounds, returning its summary and metrics lines. */
async function run(
  algorithm: string,
  options: Readonly<Record<string, unknown>>,
  roundCount: number,
) {
  const lines: RoundMetrics[] = [];
  const summary = await runExperiment(
    {
      algorithm,
      ...options,
      dataset: "fashion-mnist",
      model: "mlp",
      partition: values.partition,
      clients: 100,
      sampleRatio: 0.1,
      rounds: roundCount,
      epochs: 1,
      batchSize: 32,
      lr: 0.05,
      seed: 42,
      trainer: values.trainer,
      parallels: Number(values.parallels),
      quiet: true,
    },
    { progress: false, onRound: (m) => void lines.push(m) },
  );
  return { summary, lines };
}

/**
 * Seconds per round, measured apart from the accuracy runs: short runs of every algorithm, in
 * turn, repeated, without `--federated-eval` (the algorithm's own cost). Interleaving spreads a
 * shared machine's load over all of them; each algorithm's figure is its quietest repetition
 * (the minimum over repetitions of the median round).
 */
const timingReps = Number(values["timing-reps"]);
const timingRounds = Number(values["timing-rounds"]);
const timings = new Map<string, number>();
for (let rep = 0; rep < timingReps; rep++)
  for (const algorithm of names) {
    const { federatedEval: _, ...options } = ALGORITHMS[algorithm] ?? {};
    const { lines } = await run(algorithm, options, timingRounds);
    const seconds = median(lines.map((m) => m.roundSeconds));
    timings.set(algorithm, Math.min(timings.get(algorithm) ?? Number.POSITIVE_INFINITY, seconds));
  }

/**
 * The server part's own work per round (10 folds of client models and the finish), timed
 * alone on the MLP's size: the minimum over repetitions, so a shared machine's load hardly
 * enters. This is the cost the round-time ratios above can hide in their noise.
 */
const mlp = await createModel("mlp", { inputShape: [28, 28, 1], numClasses: 10, seed: 42 });
const numParameters = mlp.numParameters;
mlp.dispose();
const serverMs = new Map<string, number>();
for (const algorithm of names) {
  const { definition } = await resolveAlgorithm(algorithm);
  const options = parseAlgorithmOptions(definition, ALGORITHMS[algorithm] ?? {});
  const model = Float32Array.from({ length: numParameters }, (_, i) => Math.sin(i) / 10);
  const server = definition.server({
    initialModel: model,
    numClients: 100,
    clientsPerRound: 10,
    options,
    training: { seed: 42, epochs: 1, batchSize: 32, lr: 0.05, momentum: 0, weightDecay: 0 },
    seed: 42,
  });
  const vectors = Object.fromEntries(
    (definition.uplink ?? ["model"]).map((name) => [
      name,
      model.map((v, i) => v + ((i % 7) - 3) / 1e3),
    ]),
  );
  let best = Number.POSITIVE_INFINITY;
  for (let rep = 0; rep < 10; rep++) {
    const t0 = performance.now();
    server.downlink?.(rep);
    for (let cid = 0; cid < 10; cid++)
      server.fold({ cid, weight: 100 + cid, steps: 4 + cid, metrics: {}, vectors });
    server.finish(rep);
    best = Math.min(best, performance.now() - t0);
  }
  serverMs.set(algorithm, best);
}

const rows: Row[] = [];
for (const algorithm of names) {
  const options = ALGORITHMS[algorithm];
  if (options === undefined) throw new Error(`unknown algorithm ${algorithm}`);
  const { summary, lines } = await run(algorithm, options, rounds);
  const accuracies = lines.map((m) => m.testAccuracy ?? Number.NaN);
  const last = lines[lines.length - 1] ?? ({} as RoundMetrics);
  const row: Row = {
    algorithm,
    options,
    finalAccuracy: summary.testAccuracy,
    bestAccuracy: Math.max(...accuracies),
    roundsToTarget: targets.map((t) => {
      const hit = accuracies.findIndex((a) => a >= t);
      return hit >= 0 ? hit + 1 : null;
    }),
    secondsPerRound: timings.get(algorithm) ?? Number.NaN,
    serverMsPerRound: serverMs.get(algorithm) ?? Number.NaN,
    clientAccuracyMean: num(last.federatedAccuracyMean),
    clientAccuracyP10: num(last.federatedAccuracyP10),
    personalAccuracyMean: num(last.personalAccuracyMean),
    personalAccuracyP10: num(last.personalAccuracyP10),
    modelSha256: summary.modelSha256,
  };
  rows.push(row);
  console.log(JSON.stringify({ ...row, accuracies }));
}

const base = rows.find((r) => r.algorithm === "fedavg");
const ratio = (r: Row) => (base !== undefined ? r.secondsPerRound / base.secondsPerRound : null);
console.log(
  JSON.stringify({
    workload: `fmnist-mlp ${values.partition}, 100 clients, 10 a round, ${rounds} rounds`,
    trainer: values.trainer,
    timing: `min over ${timingReps} interleaved repetitions of the median of ${timingRounds} rounds`,
    targets,
    results: rows.map((r) => ({
      algorithm: r.algorithm,
      finalAccuracy: r.finalAccuracy,
      bestAccuracy: r.bestAccuracy,
      roundsToTarget: r.roundsToTarget,
      secondsPerRound: r.secondsPerRound,
      roundTimeVsFedAvg: ratio(r),
      serverMsPerRound: r.serverMsPerRound,
    })),
  }),
);
const pct = (v: number | null) => (v === null ? "—" : (100 * v).toFixed(1));
const table = [
  `| algorithm | options | final acc % | best acc % | ${targets.map((t) => `rounds to ${pct(t)} %`).join(" | ")} | s / round | × FedAvg | server ms / round | clients' acc mean / p10 % |`,
  `| --- | --- | --: | --: | ${targets.map(() => "--: | ").join("")}--: | --: | --: | --: |`,
  ...rows.map((r) => {
    const opts = Object.entries(r.options)
      .filter(([k]) => k !== "federatedEval" && k !== "weighted")
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(", ");
    const clients =
      r.personalAccuracyMean !== null
        ? `${pct(r.personalAccuracyMean)} / ${pct(r.personalAccuracyP10)} (personal), ${pct(r.clientAccuracyMean)} / ${pct(r.clientAccuracyP10)} (global)`
        : `${pct(r.clientAccuracyMean)} / ${pct(r.clientAccuracyP10)}`;
    return `| ${r.algorithm} | ${opts || "—"} | ${pct(r.finalAccuracy)} | ${pct(r.bestAccuracy)} | ${r.roundsToTarget.map((n) => n ?? `> ${rounds}`).join(" | ")} | ${r.secondsPerRound.toFixed(3)} | ${ratio(r)?.toFixed(2) ?? "—"} | ${r.serverMsPerRound.toFixed(1)} | ${clients} |`;
  }),
];
console.log(table.join("\n"));
