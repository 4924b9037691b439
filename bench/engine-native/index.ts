/**
 * Native CPU engine benchmark: training throughput of the MLP and the CNN on one core, for the
 * native engine, the wasm engine and PyTorch, side by side in one run.
 *
 * Every configuration runs in its own child process, and the configurations of one model are
 * interleaved `--repeats` times, so that load from other work on a shared machine hits all of
 * them alike; each row reports the median over the repeats, wall clock and CPU time. Ratios are
 * `torch ms/step / engine ms/step` (above 1: faster than PyTorch).
 *
 * Usage: node --import tsx bench/engine-native/index.ts [--models mlp,cnn]
 *   [--engines native,native-ops,wasm,wasm-kernels] [--repeats 3] [--mlp-steps 1000]
 *   [--cnn-steps 30] [--batch 32] [--reference] [--parallel] [--profile]
 *
 * - `native`: the native kernels with the fused in-place SGD step; `native-ops`: the same
 *   kernels with SGD as tfjs ops; `wasm`: tfjs-backend-wasm as shipped; `wasm-kernels`: wasm
 *   plus the wasm engine's replacement kernels (src/engine/wasm-kernels), when present.
 * - `--reference` also runs ../shared/bench-ref/bench_torch_plain.py (the FedAvg reference,
 *   --loader slice, 3 clients a round) with its clock switched to CPU time.
 * - `--parallel` also runs two native CNN trainings at once (the 2-worker proxy).
 * - `--profile` adds a per-kernel profile of one native run per model.
 *
 * Prints one JSON object per configuration and a summary object; never fails on time.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const benchRef = resolve(root, "..", "shared", "bench-ref");
const python = "/usr/bin/python3";

interface Options {
  models: string[];
  engines: string[];
  repeats: number;
  mlpSteps: number;
  cnnSteps: number;
  batch: number;
  reference: boolean;
  parallel: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    models: ["mlp", "cnn"],
    engines: ["native", "native-ops", "wasm", "wasm-kernels"],
    repeats: 3,
    mlpSteps: 1000,
    cnnSteps: 30,
    batch: 32,
    reference: false,
    parallel: false,
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? "";
    if (flag === "--models") options.models = value.split(",");
    else if (flag === "--engines") options.engines = value.split(",");
    else if (flag === "--repeats") options.repeats = Number(value);
    else if (flag === "--mlp-steps") options.mlpSteps = Number(value);
    else if (flag === "--cnn-steps") options.cnnSteps = Number(value);
    else if (flag === "--batch") options.batch = Number(value);
    else if (flag === "--reference") options.reference = true;
    else if (flag === "--parallel") options.parallel = true;
    else if (flag === "--profile") options.profile = true;
    else continue;
    if (!["--reference", "--parallel", "--profile"].includes(flag)) i++;
  }
  return options;
}

type Row = Record<string, unknown>;

/** Runs a command and returns the last JSON line it printed (or an error row). */
function runJson(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Row> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    child.on("close", (code) => {
      const line = out
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("{"));
      if (line !== undefined) {
        try {
          resolvePromise(JSON.parse(line) as Row);
          return;
        } catch {
          // fall through
        }
      }
      resolvePromise({ error: `exit ${code}: ${(err || out).trim().split("\n").slice(-1)[0]}` });
    });
  });
}

function runEngine(engine: string, model: string, steps: number, batch: number, profile = false) {
  return runJson(process.execPath, [
    "--import",
    "tsx",
    join(here, "run-engine.ts"),
    engine,
    model,
    String(steps),
    String(batch),
    profile ? "1" : "0",
  ]);
}

function runTorch(model: string, steps: number, batch: number) {
  return runJson(python, [join(here, "torch-steps.py"), model, String(steps), String(batch)], {
    PYTHONPATH: benchRef,
  });
}

/**
 * The FedAvg reference script with its clock switched to CPU time (time.perf_counter ->
 * time.process_time), so its round times are comparable under load; 3 clients of 600 samples.
 */
async function runReference(model: string, batch: number): Promise<Row> {
  const clients = 3;
  const code = [
    "import runpy, sys, time",
    "time.perf_counter = time.process_time",
    `sys.argv = ['bench_torch_plain.py', '--model', '${model}', '--rounds', '3', '--sample-ratio', '0.03', '--batch', '${batch}', '--loader', 'slice']`,
    `runpy.run_path('${join(benchRef, "bench_torch_plain.py")}', run_name='__main__')`,
  ].join("\n");
  return new Promise((resolvePromise) => {
    const child = spawn(python, ["-c", code], {
      cwd: benchRef,
      env: { ...process.env, PYTHONPATH: benchRef },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.resume();
    child.on("close", () => {
      const rounds = [...out.matchAll(/round (\d+): .*?round_s=([\d.]+)/g)].map((m) =>
        Number(m[2]),
      );
      const steady = rounds.slice(1);
      if (steady.length === 0) {
        resolvePromise({ engine: "torch-reference", model, error: out.trim().split("\n").pop() });
        return;
      }
      const median = steady.sort((a, b) => a - b)[Math.floor(steady.length / 2)]!;
      const samples = clients * 600;
      resolvePromise({
        engine: "torch-reference",
        model,
        batch,
        clock: "cpu",
        samplesPerRound: samples,
        roundCpuSeconds: median,
        cpuMsPerStep: +((median * 1000 * batch) / samples).toFixed(3),
        samplesPerSec: +(samples / median).toFixed(1),
      });
    });
  });
}

function median(values: number[]): number | undefined {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function numberField(row: Row, key: string): number {
  const v = row[key];
  return typeof v === "number" ? v : Number.NaN;
}

function print(row: Row): void {
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const loadBefore = loadavg();
  const summary: Row = { kind: "summary", loadAverageBefore: loadBefore.map((v) => +v.toFixed(2)) };
  for (const model of options.models) {
    const steps = model === "mlp" ? options.mlpSteps : options.cnnSteps;
    const configs = [...options.engines, "torch"];
    const runs = new Map<string, Row[]>(configs.map((c) => [c, []]));
    for (let r = 0; r < options.repeats; r++) {
      for (const config of configs) {
        const row =
          config === "torch"
            ? await runTorch(model, steps, options.batch)
            : await runEngine(config, model, steps, options.batch);
        runs.get(config)?.push(row);
      }
    }
    const medians = new Map<string, { wall?: number; cpu?: number }>();
    for (const config of configs) {
      const rows = runs.get(config) ?? [];
      const ok = rows.filter((row) => row.error === undefined);
      const wall = median(ok.map((row) => numberField(row, "msPerStep")));
      const cpu = median(ok.map((row) => numberField(row, "cpuMsPerStep")));
      medians.set(config, {
        ...(wall !== undefined ? { wall } : {}),
        ...(cpu !== undefined ? { cpu } : {}),
      });
      const last = ok[ok.length - 1] ?? rows[rows.length - 1] ?? {};
      print({
        ...last,
        engine: config,
        model,
        repeats: rows.length,
        failed: rows.length - ok.length,
        medianMsPerStep: wall,
        medianCpuMsPerStep: cpu,
        samplesPerSec: wall !== undefined ? +((options.batch * 1000) / wall).toFixed(1) : undefined,
        allMsPerStep: rows.map((row) => row.msPerStep ?? null),
      });
    }
    const torch = medians.get("torch");
    const ratios: Row = {};
    for (const config of options.engines) {
      const m = medians.get(config);
      if (m?.wall === undefined || torch?.wall === undefined) {
        ratios[config] = null;
        continue;
      }
      ratios[config] = {
        wall: +(torch.wall / m.wall).toFixed(3),
        cpu:
          m.cpu !== undefined && torch.cpu !== undefined ? +(torch.cpu / m.cpu).toFixed(3) : null,
      };
    }
    summary[`${model}VsTorch`] = ratios;
    if (options.reference) {
      const reference = await runReference(model, options.batch);
      print(reference);
      const native = medians.get("native");
      const refCpu = numberField(reference, "cpuMsPerStep");
      if (native?.cpu !== undefined && Number.isFinite(refCpu))
        summary[`${model}NativeVsReferenceCpu`] = +(refCpu / native.cpu).toFixed(3);
    }
    if (options.profile) {
      const profiled = await runEngine("native", model, steps, options.batch, true);
      print({ ...profiled, engine: "native-profiled" });
    }
  }
  if (options.parallel) {
    const steps = options.cnnSteps;
    const started = performance.now();
    const pair = await Promise.all([
      runEngine("native", "cnn", steps, options.batch),
      runEngine("native", "cnn", steps, options.batch),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const throughput = pair.reduce((s, row) => s + numberField(row, "samplesPerSec"), 0);
    const row: Row = {
      engine: "native-2-processes",
      model: "cnn",
      steps,
      wallSeconds: +seconds.toFixed(2),
      combinedSamplesPerSec: +throughput.toFixed(1),
      perProcess: pair.map((r) => r.samplesPerSec ?? r.error),
    };
    print(row);
    summary.cnnTwoProcessSamplesPerSec = row.combinedSamplesPerSec;
  }
  summary.loadAverageAfter = loadavg().map((v) => +v.toFixed(2));
  print(summary);
}

await main();
