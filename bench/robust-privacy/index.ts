/**
 * bench/robust-privacy: the measured tables of docs/robustness-and-privacy.md, from real runs of
 * `runExperiment` on fmnist-mlp (Debian's Fashion-MNIST, IID over 100 clients, 10 a round, MLP
 * 784-200-200-10): test accuracy after the last round
 * 1. for no attack, 20 % sign-flip (scale 1 and 4) and 20 % ALIE attackers, under FedAvg's mean
 *    and each robust aggregator;
 * 2. against ε (δ 1e-5) for DP-FedAvg with fixed server-side clipping at a few noise multipliers.
 * Prints one JSON line per run, then both tables as Markdown. Accuracy is a result of the seed,
 * not a timing, so the figures are reproducible bit for bit on one engine.
 *
 * Usage: node --import tsx bench/robust-privacy/index.ts [--rounds 20] [--clients 100]
 *   [--sample-ratio 0.1] [--only robust|dp] [--trainer serial]
 */
import { parseArgs } from "node:util";
import { runExperiment } from "../../src/kit/run-experiment.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" },
    clients: { type: "string", default: "100" },
    "sample-ratio": { type: "string", default: "0.1" },
    only: { type: "string" },
    trainer: { type: "string", default: "serial" },
    parallels: { type: "string", default: "2" },
    seed: { type: "string", default: "7" },
  },
});

const base = {
  dataset: "fashion-mnist",
  model: "mlp",
  partition: "iid",
  clients: Number(args.clients),
  sampleRatio: Number(args["sample-ratio"]),
  rounds: Number(args.rounds),
  epochs: 1,
  batchSize: 32,
  lr: 0.05,
  seed: Number(args.seed),
  trainer: args.trainer,
  parallels: Number(args.parallels),
  evalEvery: Number(args.rounds),
  quiet: true,
};

const AGGREGATORS = ["mean", "median", "trimmed-mean:0.2", "krum:2", "multi-krum:2:5", "bulyan:1"];
const ATTACKS = ["none", "sign-flip:0.2", "sign-flip:0.2:4", "alie:0.2"];
const NOISE_MULTIPLIERS = [0.3, 0.5, 1, 2];
const CLIPS = [1, 0.3];

interface Row {
  readonly table: string;
  readonly aggregator?: string;
  readonly attack?: string;
  readonly noiseMultiplier?: number;
  readonly clip?: number;
  readonly epsilon?: number;
  readonly testAccuracy: number;
  readonly seconds: number;
  /** Why the run failed (a diverged model sends non-finite updates), if it did. */
  readonly error?: string;
}

const rows: Row[] = [];
async function run(table: string, extra: Record<string, unknown>, label: Partial<Row>) {
  const t0 = performance.now();
  let row: Row;
  try {
    const summary = await runExperiment({ ...base, ...extra }, { progress: false });
    row = {
      table,
      ...label,
      ...(summary.epsilon !== undefined ? { epsilon: summary.epsilon } : {}),
      testAccuracy: summary.testAccuracy,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (error) {
    row = {
      table,
      ...label,
      testAccuracy: Number.NaN,
      seconds: (performance.now() - t0) / 1000,
      error: (error as Error).message,
    };
  }
  rows.push(row);
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

if (args.only !== "dp")
  for (const attack of ATTACKS)
    for (const aggregator of AGGREGATORS)
      await run(
        "robust",
        {
          ...(aggregator !== "mean" ? { aggregator } : {}),
          ...(attack !== "none" ? { attack } : {}),
        },
        { aggregator, attack },
      );
if (args.only !== "robust") {
  await run("dp", {}, { noiseMultiplier: 0 });
  for (const clip of CLIPS)
    for (const z of NOISE_MULTIPLIERS)
      await run("dp", { dp: "fixed", clip, noiseMultiplier: z }, { noiseMultiplier: z, clip });
}

const pct = (x: number) => x.toFixed(3);
const out: string[] = [];
const robust = rows.filter((r) => r.table === "robust");
if (robust.length > 0) {
  out.push(
    `| aggregator | ${ATTACKS.map((a) => (a === "none" ? "no attack" : a)).join(" | ")} |`,
    `| --- | ${ATTACKS.map(() => "---").join(" | ")} |`,
  );
  for (const aggregator of AGGREGATORS)
    out.push(
      `| ${aggregator === "mean" ? "mean (FedAvg)" : aggregator} | ${ATTACKS.map((attack) => {
        const r = robust.find((x) => x.aggregator === aggregator && x.attack === attack);
        return r !== undefined ? pct(r.testAccuracy) : "";
      }).join(" | ")} |`,
    );
  out.push("");
}
const dp = rows.filter((r) => r.table === "dp");
if (dp.length > 0) {
  out.push(
    "| clip C | noise multiplier σ | ε at δ 1e-5 | test accuracy |",
    "| --- | --- | --- | --- |",
  );
  for (const r of dp)
    out.push(
      `| ${r.clip ?? "no DP"} | ${r.noiseMultiplier === 0 ? "no DP" : r.noiseMultiplier} | ${r.epsilon?.toFixed(2) ?? (r.noiseMultiplier === 0 ? "∞" : "—")} | ${r.error !== undefined ? "diverged (non-finite updates)" : pct(r.testAccuracy)} |`,
    );
}
process.stdout.write(`\n${out.join("\n")}\n`);
