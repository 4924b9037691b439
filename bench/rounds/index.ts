/**
 * bench/rounds: FedAvg rounds on the standard workloads (see shared/design/workloads.md) for each
 * trainer at 1 and 2 workers, against the PyTorch plain reference when it is installed.
 *
 * The `redis` trainer runs on a `redis-server` this bench starts on a free loopback port, with a
 * `blazefl worker --concurrency P` on this machine (P = the parallels), against the process pool
 * at the same P. Beside the ratios it prints the machine's own limit: two serial runs side by
 * side (each its own process, as `run-in-tree.ts`), whose round time over twice a lone serial
 * round is the best 2-worker/1-worker ratio 2 cores can give (`--no-limit` skips it).
 *
 * Prints one JSON object per configuration, then one summary object with the ratios and targets.
 * Never fails on time. Usage:
 *   node --import tsx bench/rounds/index.ts [--workloads fmnist-mlp,fmnist-cnn,synthetic-scale]
 *     [--trainers serial,thread,process,redis] [--parallels 1,2] [--rounds-mlp 4] [--rounds-cnn 3]
 *     [--eval-every K] [--no-torch] [--no-limit]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runExperiment } from "../../src/kit/run-experiment.js";
import {
  type RedisServer,
  spawnWorker,
  startRedis,
  type Watched,
} from "../../test/fixtures/distributed/redis-harness.js";
import { median } from "../median.js";

const { values } = parseArgs({
  options: {
    workloads: { type: "string", default: "fmnist-mlp,fmnist-cnn" },
    trainers: { type: "string", default: "serial,thread,process" },
    parallels: { type: "string", default: "1,2" },
    "rounds-mlp": { type: "string", default: "4" },
    "rounds-cnn": { type: "string", default: "3" },
    "no-torch": { type: "boolean", default: false },
    "no-limit": { type: "boolean", default: false },
    // Evaluate every K rounds (default: only after the last round, as before).
    "eval-every": { type: "string" },
  },
});

const WORKLOADS = {
  "fmnist-mlp": {
    dataset: "fashion-mnist",
    model: "mlp",
    partition: "iid",
    clients: 100,
    overheadTarget: 1.05,
  },
  "fmnist-cnn": {
    dataset: "fashion-mnist",
    model: "cnn",
    partition: "iid",
    clients: 100,
    overheadTarget: 1.02,
  },
  "fmnist-cnn-dir": {
    dataset: "fashion-mnist",
    model: "cnn",
    partition: "dirichlet:0.5",
    clients: 100,
    overheadTarget: 1.02,
  },
  "synthetic-scale": {
    dataset: "synthetic",
    model: "logreg",
    partition: "natural",
    clients: 10_000,
    overheadTarget: null,
  },
} as const;
type WorkloadName = keyof typeof WORKLOADS;

const benchRef =
  process.env.BLAZEFL_BENCH_REF ??
  fileURLToPath(new URL("../../../shared/bench-ref", import.meta.url));

function torchRoundSeconds(model: string, rounds: number): number | undefined {
  const script = join(benchRef, "bench_torch_plain.py");
  if (values["no-torch"] || !existsSync(script) || !existsSync("/usr/bin/python3"))
    return undefined;
  const r = spawnSync("/usr/bin/python3", [script, "--model", model, "--rounds", String(rounds)], {
    env: { ...process.env, PYTHONPATH: benchRef },
    encoding: "utf8",
    timeout: 30 * 60_000,
  });
  const m = /ROUND_MEDIAN_S=([0-9.]+)/.exec(r.stdout ?? "");
  return m ? Number(m[1]) : undefined;
}

interface Row {
  workload: string;
  trainer: string;
  parallels: number;
  rounds: number;
  setupSeconds: number;
  firstRoundSeconds: number;
  roundSecondsMedian: number;
  /** The median evaluation time of the rounds that evaluated (NaN when only the last did). */
  evalSecondsMedian: number;
  /** The median of round + evaluation, over the rounds after the first. */
  wallSecondsMedian: number;
  /** Round 1 over the median of the others (worker start-up shows up here). */
  firstRoundRatio: number;
  overheadRatio: number;
  modelSha256: string;
  parentMaxRssMiB: number;
}

/**
 * Two serial runs of `workload` side by side, each its own process: the median of their rounds
 * 2..N, in seconds, and their mean load. On an ideal 2-core machine it equals a lone serial round.
 */
async function sideBySideSerialRoundSeconds(model: string, rounds: number): Promise<number> {
  const runner = fileURLToPath(new URL("./run-in-tree.ts", import.meta.url));
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const once = () =>
    new Promise<number[]>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          runner,
          "--root",
          root,
          "--model",
          model,
          "--trainer",
          "serial",
          "--rounds",
          String(rounds),
        ],
        { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.on("error", reject);
      child.on("exit", (code) => {
        const line = out.trim().split("\n").at(-1) ?? "";
        if (code !== 0) reject(new Error(`side-by-side serial run exited ${code}`));
        else resolve((JSON.parse(line) as { roundSeconds: number[] }).roundSeconds.slice(1));
      });
    });
  const [a, b] = await Promise.all([once(), once()]);
  return median([...(a ?? []), ...(b ?? [])]);
}

let redis: RedisServer | undefined;
/** A `blazefl worker --concurrency P` on this bench's Redis, ready for run `runId`. */
async function redisWorkers(runId: string, parallels: number): Promise<Watched> {
  redis ??= await startRedis();
  const workers = spawnWorker([
    "--redis",
    redis.url,
    "--run-id",
    runId,
    "--concurrency",
    String(parallels),
  ]);
  await workers.waitFor(parallels === 1 ? /ready: run / : /ready: \d+ worker processes/);
  return workers;
}

const rows: Row[] = [];
const summary: Record<string, unknown> = {};
for (const name of values.workloads.split(",") as WorkloadName[]) {
  const workload = WORKLOADS[name];
  if (workload === undefined) throw new Error(`unknown workload ${name}`);
  const rounds = Number(workload.model === "cnn" ? values["rounds-cnn"] : values["rounds-mlp"]);
  for (const trainer of values.trainers.split(",")) {
    for (const parallels of values.parallels.split(",").map(Number)) {
      if (trainer === "serial" && parallels !== 1) continue;
      const out = mkdtempSync(join(tmpdir(), "blazefl-bench-rounds-"));
      const options = {
        dataset: workload.dataset,
        model: workload.model,
        partition: workload.partition,
        clients: workload.clients,
        sampleRatio: 0.1,
        epochs: 1,
        batchSize: 32,
        lr: 0.01,
        seed: 42,
        rounds,
        evalEvery: values["eval-every"] ?? rounds,
        trainer,
        parallels,
        out,
        quiet: true,
      };
      const runId = `bench-${name}-${parallels}`;
      const redisGroup = trainer === "redis" ? await redisWorkers(runId, parallels) : undefined;
      const t0 = performance.now();
      let result: Awaited<ReturnType<typeof runExperiment>>;
      try {
        result = await runExperiment(
          redisGroup !== undefined ? { ...options, redis: redis?.url, runId } : options,
          { stdout: () => {}, stderr: () => {}, progress: false },
        );
      } finally {
        if (redisGroup !== undefined) {
          redisGroup.kill("SIGTERM");
          await redisGroup.exited;
        }
      }
      const total = (performance.now() - t0) / 1000;
      const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map(
          (l) =>
            JSON.parse(l) as { roundSeconds: number; evalSeconds: number; clientSeconds: number },
        );
      rmSync(out, { recursive: true, force: true });
      const workers = trainer === "serial" ? 1 : parallels;
      // Round 1 also pays each worker's lazy set-up (engine, dataset): steady state is round 2 on.
      const steady = metrics.length > 1 ? metrics.slice(1) : metrics;
      const row: Row = {
        workload: name,
        trainer,
        parallels: workers,
        rounds,
        setupSeconds: total - metrics.reduce((s, m) => s + m.roundSeconds + m.evalSeconds, 0),
        firstRoundSeconds: metrics[0]?.roundSeconds ?? Number.NaN,
        roundSecondsMedian: median(steady.map((m) => m.roundSeconds)),
        evalSecondsMedian: median(
          metrics.filter((m) => m.evalSeconds > 0).map((m) => m.evalSeconds),
        ),
        wallSecondsMedian: median(steady.map((m) => m.roundSeconds + m.evalSeconds)),
        firstRoundRatio:
          (metrics[0]?.roundSeconds ?? Number.NaN) / median(steady.map((m) => m.roundSeconds)),
        overheadRatio: median(steady.map((m) => m.roundSeconds / (m.clientSeconds / workers))),
        modelSha256: result.modelSha256,
        // Peak RSS of this process so far (the parent: server, aggregation, collection).
        parentMaxRssMiB: process.resourceUsage().maxRSS / 1024,
      };
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  }
  const torch =
    workload.dataset === "fashion-mnist"
      ? torchRoundSeconds(workload.model, Math.max(2, rounds))
      : undefined;
  const of = (trainer: string, p: number) =>
    rows.find((r) => r.workload === name && r.trainer === trainer && r.parallels === p);
  const speedUp: Record<string, number> = {};
  const wallRatio2to1: Record<string, number> = {};
  const evalRatio2to1: Record<string, number> = {};
  const firstRoundRatio: Record<string, number> = {};
  for (const trainer of ["thread", "process", "redis"]) {
    const one = of(trainer, 1);
    const two = of(trainer, 2);
    if (one && two) {
      speedUp[trainer] = one.roundSecondsMedian / two.roundSecondsMedian;
      wallRatio2to1[trainer] = two.wallSecondsMedian / one.wallSecondsMedian;
      evalRatio2to1[trainer] = two.evalSecondsMedian / one.evalSecondsMedian;
    }
  }
  for (const r of rows.filter((r) => r.workload === name))
    firstRoundRatio[`${r.trainer}x${r.parallels}`] = r.firstRoundRatio;
  // The Redis trainer with P local workers against the process pool at the same P.
  const redisVsProcess: Record<string, number> = {};
  for (const p of values.parallels.split(",").map(Number)) {
    const viaRedis = of("redis", p);
    const pool = of("process", p);
    if (viaRedis && pool)
      redisVsProcess[`x${p}`] = viaRedis.wallSecondsMedian / pool.wallSecondsMedian;
  }
  const serial = of("serial", 1);
  const sideBySide =
    !values["no-limit"] && serial !== undefined && workload.dataset === "fashion-mnist"
      ? await sideBySideSerialRoundSeconds(workload.model, rounds)
      : undefined;
  const best1 = Math.min(
    ...rows
      .filter((r) => r.workload === name && r.parallels === 1)
      .map((r) => r.roundSecondsMedian),
  );
  const best2 = Math.min(
    ...rows
      .filter((r) => r.workload === name && r.parallels === 2)
      .map((r) => r.roundSecondsMedian),
  );
  summary[name] = {
    torchPlainRoundSeconds: torch ?? null,
    speedUp1to2: speedUp,
    wallRatio2to1,
    evalRatio2to1,
    firstRoundRatio,
    redisVsProcess,
    // What 2 cores can give: two serial runs side by side, per round, and that over twice a
    // lone serial round (the best 2-worker/1-worker round-time ratio this machine allows).
    machineLimit:
      sideBySide !== undefined && serial !== undefined
        ? {
            serialRoundSeconds: serial.roundSecondsMedian,
            sideBySideSerialRoundSeconds: sideBySide,
            ratio2to1: sideBySide / (2 * serial.roundSecondsMedian),
          }
        : null,
    speedUpTarget: name === "fmnist-mlp" ? null : 1.9,
    overheadRatio: Object.fromEntries(
      rows
        .filter((r) => r.workload === name)
        .map((r) => [`${r.trainer}x${r.parallels}`, r.overheadRatio]),
    ),
    overheadTarget: workload.overheadTarget,
    vsTorchAt1Worker: torch !== undefined ? best1 / torch : null,
    vsTorchAt2Workers: torch !== undefined && Number.isFinite(best2) ? best2 / torch : null,
    sameModelAcrossTrainers:
      new Set(rows.filter((r) => r.workload === name).map((r) => r.modelSha256)).size === 1,
  };
}
await redis?.stop();
process.stdout.write(`${JSON.stringify({ summary })}\n`);
