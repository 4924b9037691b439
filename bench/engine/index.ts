/**
 * bench/engine: training and evaluation throughput (samples/s) of each zoo model at batch 32 and
 * 64, on the wasm engine and on tfjs's pure-JS cpu backend, one thread; then the PyTorch plain
 * reference (`../shared/bench-ref/bench_torch_plain.py`, serial, one thread) and our ratio to it.
 *
 * Prints one JSON object per configuration on stdout, then one summary object. Never fails on
 * time. The CNN on the cpu backend (about 0.3 samples/s) is skipped unless `--reference-cnn`.
 * Usage:
 *   node --import tsx bench/engine/index.ts [--models mlp,cnn,logreg] [--batches 32,64]
 *     [--devices cpu,cpu-reference] [--seconds 4] [--profile] [--no-torch] [--reference-cnn]
 *
 * `--profile` adds, per wasm configuration, the kernels a training step spends its time in.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../../src/core/partitioned-dataset.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { createZooModel as createModel, isModelName, type ModelName } from "../../src/models/model-zoo.js";
import { SgdOptimizer } from "../../src/models/sgd-optimizer.js";
import { createRng, type Rng } from "../../src/reproducibility/rng.js";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "mlp,cnn,logreg" },
    batches: { type: "string", default: "32,64" },
    devices: { type: "string", default: "cpu,cpu-reference" },
    seconds: { type: "string", default: "4" },
    profile: { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
    "reference-cnn": { type: "boolean", default: false },
  },
});

const models = values.models.split(",").filter(isModelName);
const batchSizes = values.batches.split(",").map(Number);
const devices = values.devices.split(",");
const budgetMs = Number(values.seconds) * 1000;

/** Input shapes: the synthetic dataset's for logistic regression, Fashion-MNIST's otherwise. */
const SHAPES: Record<ModelName, number[]> = { mlp: [28, 28, 1], cnn: [28, 28, 1], logreg: [60] };

function randomBatches(rng: Rng, count: number, size: number, shape: number[]): Batch[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(size * n);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    const y = new Int32Array(size);
    for (let i = 0; i < size; i++) y[i] = rng.int(0, 9);
    return { x, y, size, sampleShape: shape };
  });
}

/**
 * Runs `step` at least `minSteps` times and until `budget` ms have passed. Returns the median
 * and the fastest time per step: on a shared, noisy machine the median is the honest figure
 * and the fastest one says what a quiet core would do.
 */
function timeSteps(
  step: (i: number) => void,
  budget: number,
  minSteps: number,
): { medianMs: number; bestMs: number; steps: number } {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minSteps || performance.now() - start < budget) {
    const t0 = performance.now();
    step(times.length);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    medianMs: times[times.length >> 1] as number,
    bestMs: times[0] as number,
    steps: times.length,
  };
}

async function profileStep(step: () => void): Promise<{ kernel: string; ms: number }[]> {
  const totals = new Map<string, number>();
  const reps = 3;
  for (let r = 0; r < reps; r++) {
    const info = await tf.profile(() => {
      step();
    });
    for (const k of info.kernels) {
      if (k.name.endsWith("__op")) continue; // ops wrap kernels: count each kernel once
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      totals.set(key, (totals.get(key) ?? 0) + (k.kernelTimeMs as number));
    }
  }
  return [...totals.entries()]
    .map(([kernel, ms]) => ({ kernel, ms: Number((ms / reps).toFixed(3)) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 15);
}

interface Result {
  readonly engine: string;
  readonly model: ModelName;
  readonly batch: number;
  readonly trainSamplesPerSec: number;
}
const results: Result[] = [];

for (const device of devices) {
  const t0 = performance.now();
  const info = await initEngine(device);
  const setupSeconds = (performance.now() - t0) / 1000;
  for (const name of models)
    for (const batch of batchSizes) {
      const base = {
        bench: "engine",
        device,
        engine: info.engine,
        backend: info.backend,
        simd: info.simd,
        model: name,
        batch,
      };
      if (info.engine === "cpu-reference" && name === "cnn" && !values["reference-cnn"]) {
        console.log(
          JSON.stringify({
            ...base,
            skipped: "the cpu backend trains the CNN at about 0.3 samples/s (pass --reference-cnn)",
          }),
        );
        continue;
      }
      const rng = createRng(42);
      const model = createModel(name, { rng, inputShape: SHAPES[name] });
      const data = randomBatches(rng, 8, batch, SHAPES[name]);
      const optimizer = new SgdOptimizer({ lr: 0.01 });
      const slow = info.engine === "cpu-reference";
      const train = (i: number) => {
        model.trainStep(data[i % data.length] as Batch, optimizer);
      };
      for (let i = 0; i < (slow ? 1 : 3); i++) train(i); // warm-up: operator caches, JIT
      const trained = timeSteps(train, budgetMs, slow ? 2 : 5);
      const evaluated = timeSteps(
        (i) => model.predictLogits(data[i % data.length] as Batch),
        budgetMs / 2,
        slow ? 2 : 5,
      );
      const result = {
        ...base,
        trainSamplesPerSec: Math.round((batch * 1000) / trained.medianMs),
        trainSamplesPerSecBest: Math.round((batch * 1000) / trained.bestMs),
        evalSamplesPerSec: Math.round((batch * 1000) / evaluated.medianMs),
        trainStepMsMedian: Number(trained.medianMs.toFixed(3)),
        trainSteps: trained.steps,
        parameters: model.numParameters,
        engineSetupSeconds: Number(setupSeconds.toFixed(3)),
        ...(values.profile && !slow ? { profile: await profileStep(() => train(0)) } : {}),
      };
      console.log(JSON.stringify(result));
      results.push(result);
      optimizer.dispose();
      model.dispose();
    }
}

// The PyTorch plain reference: serial FedAvg rounds of 10 clients x 600 Fashion-MNIST samples.
const benchRef =
  process.env.BLAZEFL_BENCH_REF ??
  fileURLToPath(new URL("../../../shared/bench-ref", import.meta.url));
const SAMPLES_PER_ROUND = 10 * 600;
const torch: Result[] = [];
const script = join(benchRef, "bench_torch_plain.py");
if (!values["no-torch"] && existsSync(script) && existsSync("/usr/bin/python3"))
  for (const name of models.filter((m): m is "mlp" | "cnn" => m !== "logreg"))
    for (const batch of batchSizes) {
      const rounds = name === "cnn" ? 2 : 4;
      const r = spawnSync(
        "/usr/bin/python3",
        [
          script,
          "--model",
          name,
          "--rounds",
          String(rounds),
          "--batch",
          String(batch),
          "--loader",
          "slice",
        ],
        { env: { ...process.env, PYTHONPATH: benchRef }, encoding: "utf8", timeout: 20 * 60_000 },
      );
      const m = /ROUND_MEDIAN_S=([0-9.]+)/.exec(r.stdout ?? "");
      if (m?.[1] === undefined) {
        console.log(
          JSON.stringify({
            bench: "engine",
            engine: "pytorch",
            model: name,
            batch,
            error: (r.stderr ?? "").slice(-300),
          }),
        );
        continue;
      }
      const roundSeconds = Number(m[1]);
      const result = {
        bench: "engine",
        engine: "pytorch",
        model: name,
        batch,
        trainSamplesPerSec: Math.round(SAMPLES_PER_ROUND / roundSeconds),
        roundMedianSeconds: roundSeconds,
        note: "bench_torch_plain.py --loader slice: serial FedAvg rounds (training + aggregation), one thread",
      } as const;
      console.log(JSON.stringify(result));
      torch.push(result);
    }

const ratios = results
  .filter((r) => r.engine !== "pytorch")
  .flatMap((r) => {
    const ref = torch.find((t) => t.model === r.model && t.batch === r.batch);
    return ref === undefined
      ? []
      : [
          {
            engine: r.engine,
            model: r.model,
            batch: r.batch,
            ratioToPytorch: Number((r.trainSamplesPerSec / ref.trainSamplesPerSec).toFixed(3)),
          },
        ];
  });
const wasm = (model: ModelName) =>
  results.find((r) => r.engine === "wasm" && r.model === model && r.batch === 32);
console.log(
  JSON.stringify({
    bench: "engine",
    summary: true,
    targets: {
      mlpTrainSamplesPerSec: { target: 6000, measured: wasm("mlp")?.trainSamplesPerSec ?? null },
      cnnTrainSamplesPerSec: { target: 140, measured: wasm("cnn")?.trainSamplesPerSec ?? null },
    },
    ratios,
  }),
);
