/**
 * One FedAvg run of a bench/rounds workload in a given source tree, for {@link ./compare-ref.ts}:
 * the kit's `runExperiment` when the tree has it, else the pre-kit `runFedAvg` (commit 966a46a).
 * Run with the tree as the working directory so `--import tsx` and every package resolve there:
 *   node --import tsx bench/rounds/run-in-tree.ts --root DIR --model mlp --parallels 2 --rounds 4
 * Prints one JSON line: the per-round wall seconds, their median over rounds 2..N, the per-round
 * CPU seconds of this process and its worker processes together (read from /proc at the end of
 * each round; less sensitive than wall time to other load on a shared machine), their median over
 * rounds 2..N−1 (round N also evaluates), and the model's sha256.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median } from "../median.js";

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
  quiet: false,
};
/** CPU seconds of one process: its threads' run time from schedstat (ns), else stat (ticks). */
function processCpuSeconds(pid: string): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    if (Number.isFinite(ns)) return ns / 1e9;
  } catch {}
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime; USER_HZ is 100
  } catch {
    return 0; // it exited
  }
}

/** CPU seconds of this process plus its live child processes (the pool's workers). */
function treeCpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    let pids: string[] = [];
    try {
      pids = readFileSync(`/proc/self/task/${tid}/children`, "utf8").trim().split(/\s+/);
    } catch {}
    for (const pid of pids.filter((c) => c !== "")) children += processCpuSeconds(pid);
  }
  return (own.user + own.system) / 1e6 + children;
}
const cpuAtRoundEnd: number[] = [];
// With quiet off and progress off, both trees call stdout once at the end of every round.
const io: Io = {
  stdout: () => {
    cpuAtRoundEnd.push(treeCpuSeconds());
  },
  stderr: () => {},
  progress: false,
};
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
const cpuSeconds = cpuAtRoundEnd.slice(1).map((c, i) => c - (cpuAtRoundEnd[i] as number));
process.stdout.write(
  `${JSON.stringify({
    api,
    engine: summary.engine,
    roundSeconds: metrics.map((m) => m.roundSeconds),
    clientSeconds: metrics.map((m) => m.clientSeconds),
    roundSecondsMedian: median(metrics.slice(1).map((m) => m.roundSeconds)),
    cpuSeconds, // rounds 2..N
    cpuSecondsMedian: median(cpuSeconds.slice(0, -1)),
    modelSha256: summary.modelSha256,
  })}\n`,
);
