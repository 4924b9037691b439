/**
 * {@link runFedAvg}: what `blazefl run` does. It wires the data, the engine, the FedAvg server
 * and a client trainer together, writes the run's files, checkpoints after every round, resumes
 * exactly, and stops cleanly on Ctrl+C.
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { FedAvgClientConfig } from "../contrib/fedavg/client-config.js";
import { createFedAvgModel } from "../contrib/fedavg/model-factory.js";
import type { FedAvgDownlinkPackage, FedAvgUplinkPackage } from "../contrib/fedavg/packages.js";
import { FedAvgProcessPoolClientTrainer } from "../contrib/fedavg/process-pool-trainer.js";
import { FedAvgSerialClientTrainer } from "../contrib/fedavg/serial-trainer.js";
import { type FedAvgEvaluation, FedAvgServerHandler } from "../contrib/fedavg/server-handler.js";
import { FedAvgThreadPoolClientTrainer } from "../contrib/fedavg/thread-pool-trainer.js";
import type { BaseClientTrainer } from "../core/client-trainer.js";
import { AbortError, OptionsError } from "../core/errors.js";
import type { StopEvent } from "../core/stop-event.js";
import type { FederatedDatasetSpec } from "../data/federated/federated-dataset-spec.js";
import { loadFederatedDataset } from "../data/federated/load-federated-dataset.js";
import { initEngine } from "../engine/init-engine.js";
import type { SequentialClassifier } from "../models/sequential-classifier.js";
import { readCheckpoint, sha256Float32, writeCheckpoint, writeFileAtomic } from "./checkpoint.js";
import { createRunProgress } from "./progress.js";
import type { RunOptions } from "./run-options.js";

/** One line of `metrics.jsonl`. */
export interface RoundMetrics {
  /** The round, 1-based. */
  readonly round: number;
  /** The sampled client ids. */
  readonly clients: readonly number[];
  /** Training plus aggregation, seconds (evaluation excluded). */
  readonly roundSeconds: number;
  /** Evaluation, seconds (0 when the round was not evaluated). */
  readonly evalSeconds: number;
  /** Test accuracy after the round (NaN serialised as null when not evaluated). */
  readonly testAccuracy: number | null;
  /** Test loss after the round (null when not evaluated). */
  readonly testLoss: number | null;
  /** The clients' mean training loss. */
  readonly trainLoss: number | null;
  /** The sum of the clients' pure training seconds (for the overhead ratio). */
  readonly clientSeconds: number;
}

/** The JSON object `blazefl run` prints last. */
export interface RunSummary {
  /** Rounds completed. */
  readonly rounds: number;
  /** The final test accuracy. */
  readonly testAccuracy: number;
  /** The final test loss. */
  readonly testLoss: number;
  /** sha256 of the final parameters' bytes (`model.f32`). */
  readonly modelSha256: string;
  /** The median of the rounds' `roundSeconds` in this process. */
  readonly roundSecondsMedian: number;
  /** The engine that trained (e.g. `wasm`). */
  readonly engine: string;
  /** The trainer kind. */
  readonly trainer: string;
  /** Workers used. */
  readonly parallels: number;
}

/** Where a run writes and how it can be interrupted. */
export interface RunIo {
  /** Receives stdout lines. */
  readonly stdout: (line: string) => void;
  /** Receives stderr notices. */
  readonly stderr: (line: string) => void;
  /** Aborts the run (Ctrl+C): the call rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
  /** Draw progress bars on stderr when it is a TTY. @default !options.quiet */
  readonly progress?: boolean;
}

/** The options that determine the results; a resumed run must match them. */
function resultDigest(o: RunOptions): string {
  const keys = {
    algorithm: o.algorithm,
    dataset: o.dataset,
    partition: o.partition,
    model: o.model,
    clients: o.clients,
    sampleRatio: o.sampleRatio,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    seed: o.seed,
    syntheticAlpha: o.syntheticAlpha,
    syntheticBeta: o.syntheticBeta,
  };
  return createHash("sha256").update(JSON.stringify(keys)).digest("hex");
}

/** The federated dataset a run trains on. */
export function datasetSpecOf(o: RunOptions): FederatedDatasetSpec {
  if (o.dataset === "synthetic")
    return {
      dataset: "synthetic",
      numClients: o.clients,
      partition: o.partition,
      seed: o.seed,
      synthetic: { alpha: o.syntheticAlpha, beta: o.syntheticBeta },
    };
  // Images: pixel / 255, then the dataset's mean and std, as the PyTorch reference does.
  return {
    dataset: o.dataset,
    numClients: o.clients,
    partition: o.partition,
    seed: o.seed,
    normalize: "mean-std",
    ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

type FedAvgTrainer = BaseClientTrainer<FedAvgUplinkPackage, FedAvgDownlinkPackage> & {
  readonly stopEvent: StopEvent;
  shutdown?(): Promise<void>;
  start?(): Promise<void>;
};

async function createTrainer(
  o: RunOptions,
  config: FedAvgClientConfig,
  numParameters: number,
  onClientDone: (cid: number) => void,
): Promise<FedAvgTrainer> {
  const common = { config, numParameters, device: o.device, onClientDone };
  switch (o.trainer) {
    case "serial":
      return new FedAvgSerialClientTrainer(common);
    case "thread":
      return new FedAvgThreadPoolClientTrainer({ ...common, numParallels: o.parallels });
    case "process":
      return new FedAvgProcessPoolClientTrainer({ ...common, numParallels: o.parallels });
    case "redis": {
      // Loaded on demand: bullmq and ioredis are only needed by this trainer.
      const { RedisClientTrainer } = await import("../distributed/redis-trainer.js");
      const { redisTrainerEnvOptions } = await import("../distributed/env-options.js");
      return new RedisClientTrainer({
        ...common,
        url: o.redis ?? "",
        ...redisTrainerEnvOptions(process.env),
        ...(o.runId !== undefined ? { runId: o.runId } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
      });
    }
    default:
      throw new OptionsError("--trainer", o.trainer, "serial, thread, process or redis");
  }
}

/** Evaluates `parameters` on the server's test set, yielding to the event loop between batches. */
async function evaluateOnServer(
  model: SequentialClassifier,
  batches: () => Iterable<import("../core/partitioned-dataset.js").Batch>,
  parameters: Float32Array,
  signal: AbortSignal | undefined,
): Promise<FedAvgEvaluation> {
  model.setFlatParameters(parameters);
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const batch of batches()) {
    if (signal?.aborted)
      throw new AbortError("Evaluation was interrupted", { cause: signal.reason });
    const r = model.evaluate([batch]);
    lossSum += r.loss * r.count;
    correct += Math.round(r.accuracy * r.count);
    count += r.count;
    await yieldToEventLoop();
  }
  return {
    loss: count > 0 ? lossSum / count : Number.NaN,
    accuracy: count > 0 ? correct / count : Number.NaN,
  };
}

/**
 * Runs FedAvg as `blazefl run` does.
 * @returns The summary (also printed as the last stdout line).
 * @throws OptionsError / DataError for bad options or data (exit 2), AbortError when
 *   interrupted (exit 130), CheckpointError for an unreadable checkpoint.
 */
export async function runFedAvg(o: RunOptions, io: RunIo): Promise<RunSummary> {
  const signal = io.signal;
  const outDir = o.out !== undefined ? resolve(o.out) : undefined;
  const digest = resultDigest(o);
  const spec = datasetSpecOf(o);

  const engine = await initEngine(o.device);
  io.stderr(
    `blazefl: engine ${engine.engine} (${engine.backend}${engine.simd ? ", simd" : ""}) on ${o.device}; ` +
      `trainer ${o.trainer}${o.trainer === "serial" ? "" : ` x${o.parallels}`}; ${o.dataset} ${o.partition}, ${o.clients} clients, model ${o.model}`,
  );
  const data = await loadFederatedDataset(spec);
  const model = createFedAvgModel(o.model, data.sampleShape, data.numClasses, o.seed);
  const testBatches = () => data.getDataloader("test", undefined, 500, undefined);
  const server = new FedAvgServerHandler({
    initialParameters: model.getFlatParameters(),
    numClients: o.clients,
    sampleRatio: o.sampleRatio,
    globalRound: o.rounds,
    seed: o.seed,
    evaluate: (p) => evaluateOnServer(model, testBatches, p, signal),
  });

  let metricsLines: string[] = [];
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    const checkpoint = readCheckpoint(outDir);
    if (checkpoint !== undefined && !o.resume)
      throw new OptionsError(
        "--out",
        o.out,
        `a directory without a run (it holds a checkpoint at round ${checkpoint.header.round}; pass --resume to continue it)`,
      );
    if (checkpoint !== undefined) {
      if (checkpoint.header.configDigest !== digest)
        throw new OptionsError(
          "--resume",
          true,
          "the same options that determine the results as the checkpointed run (see its config.json)",
        );
      if (checkpoint.header.round > o.rounds)
        throw new OptionsError(
          "--rounds",
          o.rounds,
          `at least the checkpoint's round (${checkpoint.header.round})`,
        );
      server.restoreState({ round: checkpoint.header.round, parameters: checkpoint.parameters });
      const metricsFile = join(outDir, "metrics.jsonl");
      if (existsSync(metricsFile))
        metricsLines = readFileSync(metricsFile, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
          .filter((line) => (JSON.parse(line) as RoundMetrics).round <= checkpoint.header.round);
      io.stderr(`blazefl: resuming ${outDir} after round ${checkpoint.header.round}`);
    } else if (o.resume) io.stderr(`blazefl: no checkpoint in ${outDir}; starting from round 1`);
    writeFileSync(
      join(outDir, "config.json"),
      `${JSON.stringify({ ...o, resultDigest: digest }, null, 2)}\n`,
    );
    writeFileAtomic(join(outDir, "metrics.jsonl"), [
      Buffer.from(metricsLines.map((l) => `${l}\n`).join("")),
    ]);
  }

  const config: FedAvgClientConfig = {
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    modelName: o.model,
    dataset: spec,
  };
  const progress = createRunProgress(o.rounds, server.round, io.progress ?? !o.quiet);
  const trainer = await createTrainer(o, config, model.numParameters, () =>
    progress.clientsDone(1),
  );
  const onAbort = () => trainer.stopEvent.set();
  signal?.addEventListener("abort", onAbort, { once: true });
  const roundSeconds: number[] = [];
  // Redis workers are many and remote: give them a whole round (up to 1,024 clients) at once.
  const chunkSize = o.trainer === "redis" ? 1024 : Math.max(8, o.parallels * 8);
  try {
    // Worker start-up is set-up, not round time: start the pool before the first round.
    await trainer.start?.();
    if (signal?.aborted) throw new AbortError("The run was interrupted before it started");
    while (!server.isStopped()) {
      const round = server.round + 1;
      const cids = server.sampleClients();
      progress.startRound(round, cids.length);
      const t0 = performance.now();
      const downlink = server.downlinkPackage();
      // Streaming: clients run in chunks and are folded in at once, so memory stays
      // O(chunk x model), not O(clients x model).
      for (let start = 0; start < cids.length; start += chunkSize) {
        await trainer.localProcess(downlink, cids.slice(start, start + chunkSize));
        if (signal?.aborted)
          throw new AbortError("The run was interrupted", { cause: signal.reason });
        for (const pkg of trainer.uplinkPackage()) server.load(pkg);
      }
      const seconds = (performance.now() - t0) / 1000;
      roundSeconds.push(seconds);
      let evalSeconds = 0;
      let evaluation: FedAvgEvaluation | undefined;
      if (round % o.evalEvery === 0 || round === o.rounds) {
        const e0 = performance.now();
        evaluation = await server.evaluate();
        evalSeconds = (performance.now() - e0) / 1000;
      }
      const { trainLoss, clientSeconds } = server.getSummary();
      const metrics: RoundMetrics = {
        round,
        clients: cids,
        roundSeconds: seconds,
        evalSeconds,
        testAccuracy: evaluation?.accuracy ?? null,
        testLoss: evaluation?.loss ?? null,
        trainLoss: Number.isFinite(trainLoss) ? trainLoss : null,
        clientSeconds,
      };
      if (outDir !== undefined) {
        metricsLines.push(JSON.stringify(metrics));
        writeFileAtomic(join(outDir, "metrics.jsonl"), [
          Buffer.from(metricsLines.map((l) => `${l}\n`).join("")),
        ]);
        writeCheckpoint(outDir, server.round, digest, server.parameters);
      }
      const line =
        `round ${round}/${o.rounds}: clients ${cids.length}, round ${seconds.toFixed(3)}s` +
        (evaluation !== undefined
          ? `, eval ${evalSeconds.toFixed(3)}s, test accuracy ${evaluation.accuracy.toFixed(4)}, test loss ${evaluation.loss.toFixed(4)}`
          : "") +
        (Number.isFinite(trainLoss) ? `, train loss ${trainLoss.toFixed(4)}` : "");
      progress.roundDone(evaluation !== undefined ? `acc ${evaluation.accuracy.toFixed(4)}` : "");
      if (!o.quiet) {
        if (io.progress !== false && process.stderr.isTTY && process.stdout.isTTY)
          progress.log(line);
        else io.stdout(line);
      }
    }
  } catch (error) {
    if (signal?.aborted && !(error instanceof AbortError))
      throw new AbortError("The run was interrupted", { cause: error });
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    progress.stop();
    await trainer.shutdown?.();
  }

  let summaryEval = server.getSummary();
  if (!Number.isFinite(summaryEval.testAccuracy)) {
    await server.evaluate();
    summaryEval = server.getSummary();
  }
  const parameters = server.parameters;
  const modelSha256 = sha256Float32(parameters);
  if (outDir !== undefined) {
    writeFileAtomic(join(outDir, "model.f32"), [
      new Uint8Array(parameters.buffer, parameters.byteOffset, parameters.byteLength),
    ]);
    const modelJson = {
      model: o.model,
      numParameters: model.numParameters,
      dtype: "float32",
      byteOrder: "little-endian",
      sha256: modelSha256,
      layers: model.parameterInfo.map((p) => ({
        name: p.name,
        layer: p.layer,
        shape: p.shape,
        offset: p.offset,
        size: p.size,
      })),
    };
    writeFileSync(join(outDir, "model.json"), `${JSON.stringify(modelJson, null, 2)}\n`);
  }
  model.dispose();
  return {
    rounds: server.round,
    testAccuracy: summaryEval.testAccuracy,
    testLoss: summaryEval.testLoss,
    modelSha256,
    roundSecondsMedian: median(roundSeconds),
    engine: engine.engine,
    trainer: o.trainer,
    parallels: o.trainer === "serial" ? 1 : o.parallels,
  };
}
