/**
 * One FedAvg run of a bench/rounds workload in a given source tree, for {@link ./compare-ref.ts}:
 * the kit's `runExperiment` when the tree has it, else the pre-kit `runFedAvg` (commit 966a46a).
 * Run with the tree as the working directory so `--import tsx` and every package resolve there:
 *   node --import tsx bench/rounds/run-in-tree.ts --root DIR --model mlp --parallels 2 --rounds 4
 * Prints one JSON line: the per-round seconds, the median of rounds 2..N and the model's sha256.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    root: { type: "string", default: "." },
    model: { type: "string", default: "mlp" },
    parallels: { type: "string", default: "1" },
    rounds: { type: "string", default: "4" },
    trainer: { type: "string", default: "process" },
  },
});

interface Summary {
  readonly modelSha256: string;
  readonly engine: string;
}
type Io = { stdout: (l: string) => void; stderr: (l: string) => void; progress: boolean };

const root = resolve(values.root);
const rounds = Number(values.rounds);
const options = {
  dataset: "fashion-mnist",
  model: values.model,
  partition: "iid",
  clients: 100,
  sampleRatio: 0.1,
  epochs: 1,
  batchSize: 32,
  lr: 0.01,
  seed: 42,
  rounds,
  evalEvery: rounds,
  trainer: values.trainer,
  parallels: Number(values.parallels),
  quiet: true,
};
const io: Io = { stdout: () => {}, stderr: () => {}, progress: false };
const out = mkdtempSync(join(tmpdir(), "blazefl-bench-ab-"));
const kit = join(root, "src/kit/run-experiment.ts");
let summary: Summary;
let api: string;
if (existsSync(kit)) {
  api = "runExperiment";
  const m = (await import(pathToFileURL(kit).href)) as {
    runExperiment(o: Record<string, unknown>, io: Io): Promise<Summary>;
  };
  summary = await m.runExperiment({ ...options, out }, io);
} else {
  api = "runFedAvg";
  const run = (await import(pathToFileURL(join(root, "src/cli/run-fedavg.ts")).href)) as {
    runFedAvg(o: unknown, io: Io): Promise<Summary>;
  };
  const opts = (await import(pathToFileURL(join(root, "src/cli/run-options.ts")).href)) as {
    resolveRunOptions(o: Record<string, unknown>): unknown;
  };
  summary = await run.runFedAvg(opts.resolveRunOptions({ ...options, out }), io);
}
const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { roundSeconds: number; clientSeconds: number });
rmSync(out, { recursive: true, force: true });
const steady = metrics.slice(1).map((m) => m.roundSeconds);
const sorted = [...steady].sort((a, b) => a - b);
const mid = sorted.length >> 1;
const median =
  sorted.length === 0
    ? Number.NaN
    : sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
process.stdout.write(
  `${JSON.stringify({
    api,
    engine: summary.engine,
    roundSeconds: metrics.map((m) => m.roundSeconds),
    clientSeconds: metrics.map((m) => m.clientSeconds),
    roundSecondsMedian: median,
    modelSha256: summary.modelSha256,
  })}\n`,
);
