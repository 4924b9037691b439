/**
 * One benchmark configuration in this process: trains a model for a number of steps on one
 * engine and prints one JSON line. Run by index.ts in a child process per configuration.
 *
 * Usage: node --import tsx bench/engine-native/run-engine.ts <native|native-ops|wasm|wasm-kernels>
 *   <mlp|cnn> [steps] [batch] [profile(0|1)]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {
  installNativeKernels,
  nativeEngineStatus,
  nativeKernelStats,
  trySgdUpdateInPlace,
} from "../../src/engine/native/index.js";
import { createModel, type ModelKind, makeBatches, trainStep } from "./models.js";
import { profileKernels, resetProfile, summarizeProfile } from "./profile.js";

type EngineKind = "native" | "native-ops" | "wasm" | "wasm-kernels";

async function setUp(engine: EngineKind): Promise<string | undefined> {
  if (engine === "native" || engine === "native-ops") {
    await installNativeKernels();
    return nativeEngineStatus().info?.blasCore;
  }
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  if (!(await tf.setBackend("wasm"))) throw new Error("wasm backend failed to initialise");
  if (engine === "wasm-kernels") {
    // The wasm engine's replacement kernels live in another module of this repository; import
    // it by a computed path so this benchmark still compiles when that module moves.
    const spec = "../../src/engine/wasm-kernels/register-wasm-kernels.js";
    const mod = (await import(spec)) as { registerWasmKernels?: () => void };
    if (typeof mod.registerWasmKernels !== "function")
      throw new Error("registerWasmKernels not found");
    mod.registerWasmKernels();
  }
  return undefined;
}

async function main(): Promise<void> {
  const [engineArg = "native", modelArg = "mlp", stepsArg, batchArg, profileArg = "0"] =
    process.argv.slice(2);
  const engine = engineArg as EngineKind;
  const kind = modelArg as ModelKind;
  const steps = Number(stepsArg ?? (kind === "mlp" ? 300 : 30));
  const batch = Number(batchArg ?? 32);
  const result: Record<string, unknown> = { engine, model: kind, batch, steps };
  try {
    const blasCore = await setUp(engine);
    if (blasCore !== undefined) result.blasCore = blasCore;
    result.backend = tf.getBackend();
    const model = createModel(kind);
    const { xs, ys } = makeBatches(model, batch, 4);
    const lr = tf.keep(tf.scalar(0.01));
    const inPlace =
      engine === "native"
        ? (v: tf.Variable, g: tf.Tensor) => trySgdUpdateInPlace(v, g, 0.01)
        : undefined;
    const step = (i: number) => trainStep(model, xs[i % 4]!, ys[i % 4]!, lr, inPlace);
    // Long enough for V8 to optimise the tfjs code paths: steady state, as in a long run.
    const warmup = kind === "mlp" ? 300 : 5;
    for (let i = 0; i < warmup; i++) step(i);
    const profile = profileArg === "1" ? profileKernels(tf.getBackend()) : undefined;
    if (profile !== undefined) {
      step(0);
      resetProfile(profile);
    }
    const tensorsBefore = tf.memory().numTensors;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    let loss = 0;
    for (let i = 0; i < steps; i++) loss = step(i);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    result.msPerStep = +((seconds * 1000) / steps).toFixed(3);
    result.cpuMsPerStep = +((cpu.user + cpu.system) / 1000 / steps).toFixed(3);
    result.samplesPerSec = +((steps * batch) / seconds).toFixed(1);
    result.lastLoss = +loss.toFixed(5);
    result.tensorLeakPerStep = (tf.memory().numTensors - tensorsBefore) / steps;
    if (profile !== undefined) result.profile = summarizeProfile(profile, steps);
    if (engine.startsWith("native")) {
      const stats = nativeKernelStats();
      const fallbacks = Object.entries(stats.kernels)
        .filter(([, c]) => c.fallback > 0)
        .map(([name, c]) => `${name}:${c.fallback}`);
      result.fallbacks = fallbacks;
      if (stats.pool !== undefined) result.pool = stats.pool;
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message.split("\n")[0] : String(error);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
