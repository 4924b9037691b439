/**
 * {@link runExperiment}: the loop `blazefl run` runs, for any algorithm (built in or a user's
 * module): it wires the data, the engine, the algorithm's server part and a client trainer of
 * any kind together, writes the run's files, checkpoints after every round (server state and
 * client states included), resumes exactly, and stops cleanly on an abort signal.
 * @module
 */
import { createHash } from "node:crypto";
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { AbortError, OptionsError } from "../core/errors.js";
import type { Batch } from "../core/partitioned-dataset.js";
import type { FederatedDatasetSpec } from "../data/federated/federated-dataset-spec.js";
import { loadFederatedDataset } from "../data/federated/load-federated-dataset.js";
import { redactRedisUrl } from "../distributed/redis-url.js";
import { initEngine } from "../engine/init-engine.js";
import { createModel, resolveModelSpec } from "../models/create-model.js";
import type { TrainableModel } from "../models/trainable-model.js";
import type {
  AlgorithmDefinition,
  ClientUpdate,
  LocalTrainingConfig,
  ServerPart,
} from "./algorithm.js";
import { readCheckpoint, sha256Float32, writeCheckpoint, writeFileAtomic } from "./checkpoint.js";
import type { AlgorithmRef, KitClientConfig, KitDownlink, KitUplink } from "./client-runner.js";
import { ClientStateStore } from "./client-state-store.js";
import { DivergenceError } from "./divergence-error.js";
import {
  type ExperimentInput,
  type ExperimentOptions,
  resolveRunOptions,
} from "./experiment-options.js";
import { createKitTrainer, type KitJobs, type KitTrainer } from "./kit-trainers.js";
import { isDefinition, registerLoadedAlgorithm } from "./load-algorithm.js";
import { MetricsLog } from "./metrics-log.js";
import { OrderedFold } from "./ordered-fold.js";
import { createRunProgress } from "./progress.js";
import { parseAlgorithmOptions, resolveAlgorithm } from "./registry.js";
import { robustPrivacyExtension } from "./robust-privacy-extension.js";
import { robustPrivacyDigestKeys } from "./robust-privacy-options.js";
import type { ExtensionSummary } from "./run-extension.js";
import { acquireRunLock, type RunLock } from "./run-lock.js";
import { sampleClients } from "./sampling.js";
import { stallNotice } from "./stall-notice.js";
import { WeightedAverage } from "./weighted-average.js";

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
  /** Test accuracy after the round (null when not evaluated). */
  readonly testAccuracy: number | null;
  /** Test loss after the round (null when not evaluated). */
  readonly testLoss: number | null;
  /** The clients' mean training loss. */
  readonly trainLoss: number | null;
  /** The sum of the clients' pure training seconds (for the overhead ratio). */
  readonly clientSeconds: number;
  /** The sums over the round's clients of their own numbers (e.g. FedProx's `dropped`), if any. */
  readonly clientMetrics?: Readonly<Record<string, number>>;
  /** The server part's own numbers (`roundMetrics()`), when it reports any. */
  readonly [key: string]: unknown;
}

/** The JSON object `blazefl run` prints last. */
export interface RunSummary extends ExtensionSummary {
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
  /** The algorithm's name. */
  readonly algorithm: string;
  /** The engine that trained (e.g. `wasm`). */
  readonly engine: string;
  /** The trainer kind. */
  readonly trainer: string;
  /** Workers used. */
  readonly parallels: number;
  /** The HTML report written with `report: true` (in `out`). */
  readonly report?: string;
}

/** Where a run writes and how it can be interrupted. */
export interface RunIo {
  /** Receives stdout lines. @default nothing is printed */
  readonly stdout?: (line: string) => void;
  /** Receives stderr notices. @default nothing is printed */
  readonly stderr?: (line: string) => void;
  /** Aborts the run (Ctrl+C): the call rejects with an `AbortError`, the last checkpoint kept. */
  readonly signal?: AbortSignal;
  /** Draw progress bars on stderr when it is a TTY. @default !options.quiet */
  readonly progress?: boolean;
  /** Called after every completed round with its metrics line (live plots, early stopping). */
  readonly onRound?: (metrics: RoundMetrics) => void | Promise<void>;
  /**
   * When a pool job counts as stalled and a notice goes to `stderr`: after `factor` x the
   * median job time, and at least `minSeconds`. @default the pool's: 30 and 10
   */
  readonly stallNotice?: { readonly factor?: number; readonly minSeconds?: number };
}

/** The run options that determine the results; a resumed run must match them. */
function resultDigest(o: ExperimentOptions, algorithm: string, options: unknown): string {
  const keys = {
    algorithm,
    algorithmOptions: options,
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
    ...robustPrivacyDigestKeys(o),
  };
  return createHash("sha256").update(JSON.stringify(keys)).digest("hex");
}

/** The federated dataset a run trains on. */
export function datasetSpecOf(o: ExperimentOptions): FederatedDatasetSpec {
  if (o.dataset === "synthetic")
    return {
      dataset: "synthetic",
      numClients: o.clients,
      partition: o.partition,
      seed: o.seed,
      synthetic: { alpha: o.syntheticAlpha, beta: o.syntheticBeta },
    };
  if (o.dataset === "text")
    return {
      dataset: "text",
      numClients: o.clients,
      partition: o.partition,
      seed: o.seed,
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
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

/** The evaluation of the global model on the server's test set. */
interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
}

/** Folds per-batch results into loss and accuracy, in batch order (the serial reduction). */
class EvaluationSum {
  #lossSum = 0;
  #correct = 0;
  #count = 0;

  add(loss: number, accuracy: number, count: number): void {
    this.#lossSum += loss * count;
    this.#correct += Math.round(accuracy * count);
    this.#count += count;
  }

  result(): Evaluation {
    return {
      loss: this.#count > 0 ? this.#lossSum / this.#count : Number.NaN,
      accuracy: this.#count > 0 ? this.#correct / this.#count : Number.NaN,
    };
  }
}

const EVAL_BATCH = 500;
/** The most clients in one trainer call. */
const MAX_CHUNK = 1024;
/**
 * The result memory a chunk may hold (64 MiB): fmnist-mlp gets 83 clients a chunk (a whole
 * round), synthetic-scale's logistic regression 1,024, the CNN the minimum of 8 a worker.
 */
const CHUNK_RESULT_BYTES = 64 * 1024 * 1024;

/** Evaluates `parameters` on the server's test set here, yielding to the event loop between batches. */
async function evaluateOnServer(
  model: TrainableModel,
  batches: () => Iterable<Batch>,
  parameters: Float32Array,
  signal: AbortSignal | undefined,
): Promise<Evaluation> {
  model.setFlatParameters(parameters);
  const sum = new EvaluationSum();
  for (const batch of batches()) {
    if (signal?.aborted)
      throw new AbortError("Evaluation was interrupted", { cause: signal.reason });
    const r = model.evaluate([batch]);
    sum.add(r.loss, r.accuracy, r.count);
    await yieldToEventLoop();
  }
  return sum.result();
}

/**
 * The test set's batches split into at most `shards` contiguous runs of whole batches, one per
 * pool worker.
 */
export function evaluationShards(
  numBatches: number,
  shards: number,
): { readonly firstBatch: number; readonly endBatch: number }[] {
  const count = Math.max(1, Math.min(shards, numBatches));
  return Array.from({ length: count }, (_, i) => ({
    firstBatch: Math.floor((i * numBatches) / count),
    endBatch: Math.floor(((i + 1) * numBatches) / count),
  }));
}

/** Refuses a directory that does not exist or cannot be written, naming the option. */
function assertWritableDirectory(option: string, dir: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new OptionsError(option, dir, `a writable directory (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * Sends every worker of a pool a warm-up job (engine, dataset and model loaded) and waits for
 * them; `setConfigs` installs the warm-up configurations for the call and clears them after.
 */
async function warmUp(
  trainer: KitTrainer,
  shared: KitClientConfig,
  parallels: number,
  setConfigs: (configs: Map<number, KitClientConfig>) => void,
): Promise<void> {
  const cids = Array.from({ length: parallels }, (_, i) => i);
  setConfigs(new Map(cids.map((i) => [i, { ...shared, task: { kind: "warmup" } }])));
  try {
    await trainer.localProcess({ round: 0, model: new Float32Array(0), vectors: {} }, cids);
    trainer.uplinkPackage();
  } finally {
    setConfigs(new Map());
  }
}

/**
 * The parent's side of the pool's warm-up: the average every result goes through runs a few
 * times on zeros, so that V8 has compiled it (it loops over the whole model) before round 1
 * rather than while round 1's workers wait for the parent. It runs while the parent waits for
 * the workers' warm-up.
 */
function warmUpFold(numParameters: number): void {
  const average = new WeightedAverage(numParameters);
  const zeros = new Float32Array(numParameters);
  for (let i = 0; i < 4; i++) average.add(zeros, 1);
}

/** What the loop needs of a client trainer, whatever its kind. */
interface RoundTrainer {
  readonly stopEvent: { set(): void };
  localProcess(payload: KitDownlink, cids: readonly number[]): Promise<void>;
  uplinkPackage(): KitUplink[];
  start?(): Promise<void>;
  shutdown?(): Promise<void>;
}

async function createRedisTrainer(
  o: ExperimentOptions,
  algorithm: AlgorithmDefinition,
  config: KitClientConfig,
  jobs: KitJobs,
  clientDataSize: (cid: number) => number,
): Promise<RoundTrainer> {
  // Loaded on demand: bullmq and ioredis are only needed by this trainer.
  const { RedisClientTrainer } = await import("../distributed/redis-trainer.js");
  const { redisTrainerEnvOptions } = await import("../distributed/env-options.js");
  const { loadOrCreateResultSecret } = await import("../distributed/result-secret.js");
  return new RedisClientTrainer({
    algorithm,
    config,
    jobs,
    clientDataSize,
    device: o.device,
    url: o.redis ?? "",
    ...redisTrainerEnvOptions(process.env),
    ...(o.runId !== undefined ? { runId: o.runId } : {}),
    // Kept with the run, so a resumed server reuses the interrupted round's results.
    ...(o.out !== undefined
      ? { resultSecret: loadOrCreateResultSecret(join(resolve(o.out), ".blazefl-redis-key")) }
      : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
}

/**
 * An algorithm passed as an object (`algorithm: myAlgorithm, algorithmModule: import.meta.url`)
 * is registered for this process as it is, so a one-file script never imports itself; workers
 * import `algorithmModule` and find the export by the algorithm's name.
 */
function splitDefinition(input: ExperimentInput): {
  readonly definition: { ref: AlgorithmRef; definition: AlgorithmDefinition } | undefined;
  readonly raw: ExperimentInput;
} {
  const { algorithm, algorithmModule, ...rest } = input as Record<string, unknown>;
  if (algorithm === null || typeof algorithm !== "object") {
    if (algorithmModule !== undefined)
      throw new OptionsError(
        "algorithmModule",
        algorithmModule,
        "nothing unless algorithm is a definition object",
      );
    return { definition: undefined, raw: input };
  }
  if (!isDefinition(algorithm))
    throw new OptionsError(
      "algorithm",
      algorithm,
      "a name, a module path, or a defineAlgorithm() result",
    );
  const moduleUrl =
    algorithmModule instanceof URL
      ? algorithmModule.href
      : typeof algorithmModule === "string"
        ? algorithmModule
        : undefined;
  if (moduleUrl === undefined || !/^[a-z][a-z0-9+.-]*:/i.test(moduleUrl))
    throw new OptionsError(
      "algorithmModule",
      algorithmModule,
      "the URL of the module that exports the algorithm (pass import.meta.url), so workers can import it",
    );
  const ref: AlgorithmRef = { moduleUrl, exportName: "*", name: algorithm.name };
  registerLoadedAlgorithm(ref, algorithm);
  return {
    definition: { ref, definition: algorithm },
    raw: { ...rest, algorithm: algorithm.name },
  };
}

/**
 * Runs an experiment as `blazefl run` does, for every algorithm and every trainer kind.
 *
 * @param input - The run's options (see {@link ExperimentOptions}; camelCase or kebab-case
 *   keys; an algorithm's own options may sit at the top level or under `algorithmOptions`),
 *   validated here once. `algorithm` may also be a `defineAlgorithm()` result, with
 *   `algorithmModule: import.meta.url` (the module workers import to find it).
 * @param io - Output, abort signal and per-round callback.
 * @returns The summary (the CLI prints it as its last stdout line).
 * @throws OptionsError / DataError for bad options or data (exit 2), AbortError when
 *   interrupted (exit 130), CheckpointError for an unreadable checkpoint.
 *
 * @example
 * ```ts
 * const summary = await runExperiment({ algorithm: "scaffold", dataset: "synthetic",
 *   rounds: 20, trainer: "process", parallels: 2, out: "runs/scaffold" });
 * ```
 */
export async function runExperiment(input: ExperimentInput, io: RunIo = {}): Promise<RunSummary> {
  const { definition: given, raw } = splitDefinition(input);
  const o = resolveRunOptions(raw);
  const stdout = io.stdout ?? (() => {});
  const stderr = io.stderr ?? (() => {});
  const signal = io.signal;
  const { ref, definition } = given ?? (await resolveAlgorithm(o.algorithm));
  const algorithmOptions = parseAlgorithmOptions(definition, o.algorithmOptions);
  const outDir = o.out !== undefined ? resolve(o.out) : undefined;
  const digest = resultDigest(o, definition.name, algorithmOptions);
  const spec = datasetSpecOf(o);
  const modelSpec = resolveModelSpec(o.model, "--model");
  const training: LocalTrainingConfig = {
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
  };

  const shared: KitClientConfig = {
    algorithm: ref as AlgorithmRef,
    options: algorithmOptions as KitClientConfig["options"],
    training,
    model: modelSpec,
    dataset: spec,
  };
  // Set-up that the pool's warm-up overlaps: engine, data, model, server, checkpoint.
  // Held from the first look at --out to the last file written: one run per directory.
  let lock: RunLock | undefined;
  let metricsLog: MetricsLog | undefined;
  const prepare = async () => {
    const engine = await initEngine(o.device);
    stderr(
      `blazefl: ${definition.name}; engine ${engine.engine} (${engine.backend}${engine.simd ? ", simd" : ""}) on ${o.device}; ` +
        `trainer ${o.trainer}${o.trainer === "serial" ? "" : ` x${o.parallels}`}; ${o.dataset} ${o.partition}, ${o.clients} clients, model ${o.model}`,
    );
    const data = await loadFederatedDataset(spec);
    // Built here first, so a bad --model module exits 2 before any worker trains.
    const model = await createModel(modelSpec, {
      inputShape: data.sampleShape,
      numClasses: data.numClasses,
      seed: o.seed,
    });
    const numParameters = model.numParameters;
    const clientsPerRound = Math.floor(o.clients * o.sampleRatio);
    const extension = robustPrivacyExtension(o, definition.uplink ?? ["model"], clientsPerRound);
    const server: ServerPart = extension.wrapServer(
      definition.server({
        initialModel: model.getFlatParameters(),
        numClients: o.clients,
        clientsPerRound,
        options: algorithmOptions,
        training,
        seed: o.seed,
      }),
    );
    const stateLength = definition.stateLength?.({ numParameters, options: algorithmOptions }) ?? 0;
    const testBatches = () => data.getDataloader("test", undefined, EVAL_BATCH, undefined);
    const numTestBatches = Math.ceil(data.size("test", undefined) / EVAL_BATCH);

    let completed = 0;
    let store: ClientStateStore | undefined;
    if (outDir !== undefined) {
      mkdirSync(join(outDir, "checkpoint"), { recursive: true });
      lock = acquireRunLock(outDir);
      const checkpoint = readCheckpoint(outDir);
      if (checkpoint !== undefined && !o.resume)
        throw new OptionsError(
          "--out",
          o.out,
          `a directory without a run (it holds a checkpoint at round ${checkpoint.header.round}; pass --resume to continue it)`,
        );
      if (stateLength > 0)
        store = new ClientStateStore({
          length: stateLength,
          file: join(outDir, "checkpoint", "client-state.bin"),
        });
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
        const { model: saved, ...vectors } = checkpoint.vectors;
        if (saved === undefined || saved.length !== numParameters)
          throw new OptionsError("--resume", true, "a checkpoint of this model");
        server.restoreState({ vectors, json: checkpoint.header.server ?? null }, saved);
        if (store !== undefined && checkpoint.header.clientState !== undefined)
          store.restoreTable(checkpoint.header.clientState);
        completed = checkpoint.header.round;
        stderr(`blazefl: resuming ${outDir} after round ${completed}`);
      } else if (o.resume) stderr(`blazefl: no checkpoint in ${outDir}; starting from round 1`);
      // Appended and fsynced per round; a torn last line (a crash mid-append) and the rounds
      // after the checkpoint are cut off here.
      metricsLog = MetricsLog.open(join(outDir, "metrics.jsonl"), {
        keepThroughRound: completed,
        onRepair: (message) => stderr(`blazefl: ${message}`),
      });
      writeFileAtomic(join(outDir, "config.json"), [
        Buffer.from(
          // Never a password on disk: the Redis URL is stored redacted.
          `${JSON.stringify({ ...o, ...(o.redis !== undefined ? { redis: redactRedisUrl(o.redis) } : {}), algorithm: definition.name, algorithmModule: given === undefined && o.algorithm === definition.name ? undefined : ref.moduleUrl, algorithmOptions, resultDigest: digest, ...extension.config }, null, 2)}\n`,
        ),
      ]);
    } else if (stateLength > 0) store = new ClientStateStore({ length: stateLength });
    return {
      engine,
      model,
      numParameters,
      clientsPerRound,
      server,
      extension,
      stateLength,
      testBatches,
      numTestBatches,
      completed,
      store,
      clientDataSize: (cid: number) => data.size("train", cid),
    };
  };
  let roundConfigs = new Map<number, KitClientConfig>();
  // Warm-up and evaluation jobs are not clients: they do not move the progress bar.
  let evaluating = false;
  let activeRound = 0; // 1-based; 0 while the workers warm up
  let progress: ReturnType<typeof createRunProgress> | undefined;
  /** The round's fold, fed by `onClientDone` as results arrive; its first error, if any. */
  let arriving: { readonly fold: OrderedFold<KitUplink>; error?: unknown } | undefined;
  const layout = { numParameters: 0, stateLength: 0 };
  const jobs: KitJobs = {
    configFor: (cid) => roundConfigs.get(cid) ?? shared,
    uplinkNames: definition.uplink ?? ["model"],
    get numParameters() {
      return layout.numParameters;
    },
    get stateLength() {
      return layout.stateLength;
    },
    onClientDone: (cid, result) => {
      if (evaluating) return;
      progress?.clientsDone(1);
      // Aggregate while the other clients still train (in cid order: OrderedFold holds early
      // arrivals). Must not throw here: the first error is raised once the call returns.
      if (arriving !== undefined && arriving.error === undefined)
        try {
          arriving.fold.add(cid, result);
        } catch (error) {
          arriving.error = error;
        }
    },
  };
  const shmDir = o.shmDir ?? (process.env.BLAZEFL_SHM_DIR || undefined);
  if (shmDir !== undefined)
    assertWritableDirectory(o.shmDir !== undefined ? "--shm-dir" : "BLAZEFL_SHM_DIR", shmDir);
  // The pool starts first and its workers load their engine, dataset and model while this
  // process does the same, so the first round costs about what the others do.
  const local =
    o.trainer === "redis"
      ? undefined
      : createKitTrainer(o.trainer, jobs, {
          numParallels: o.parallels,
          device: o.device,
          ...(shmDir !== undefined ? { sharedMemoryDir: shmDir } : {}),
          watch: {
            ...(o.clientTimeout !== undefined ? { clientTimeout: o.clientTimeout } : {}),
            ...(io.stallNotice?.factor !== undefined ? { stallFactor: io.stallNotice.factor } : {}),
            ...(io.stallNotice?.minSeconds !== undefined
              ? { minStallSeconds: io.stallNotice.minSeconds }
              : {}),
            onStall: (info) =>
              stderr(stallNotice(info, { round: activeRound, evaluating }, o.clientTimeout)),
          },
        });
  const warmup =
    local === undefined || o.trainer === "serial"
      ? undefined
      : warmUp(local, shared, o.parallels, (m) => {
          roundConfigs = m;
          evaluating = m.size > 0;
        });
  warmup?.catch(() => {});
  const {
    engine,
    model,
    numParameters,
    clientsPerRound,
    server,
    extension,
    stateLength,
    testBatches,
    numTestBatches,
    store,
    completed: resumedAt,
    clientDataSize,
  } = await prepare().catch(async (error: unknown) => {
    metricsLog?.close();
    lock?.release();
    if (local !== undefined && "shutdown" in local) await local.shutdown();
    throw error;
  });
  let completed = resumedAt;
  layout.numParameters = numParameters;
  layout.stateLength = stateLength;
  const bars = createRunProgress(o.rounds, completed, io.progress ?? !o.quiet);
  progress = bars;
  const trainer: RoundTrainer =
    local ?? (await createRedisTrainer(o, definition, shared, jobs, clientDataSize));
  /**
   * The server's evaluation: by the pool's or the Redis workers, in `parallels` shards of whole
   * batches (the parent's core stays free and the figures are the serial ones, bit for bit);
   * here with the serial trainer.
   */
  const evaluate = async (parameters: Float32Array): Promise<Evaluation> => {
    if (o.trainer === "serial") return evaluateOnServer(model, testBatches, parameters, signal);
    const shards = evaluationShards(numTestBatches, o.parallels);
    roundConfigs = new Map(
      shards.map((shard, i) => [
        i,
        { ...shared, task: { kind: "evaluate", batchSize: EVAL_BATCH, ...shard } },
      ]),
    );
    evaluating = true;
    try {
      await trainer.localProcess(
        { round: completed, model: parameters, vectors: {} },
        shards.map((_, i) => i),
      );
    } finally {
      evaluating = false;
    }
    const sum = new EvaluationSum();
    for (const [i, result] of trainer.uplinkPackage().entries()) {
      const shard = shards[i] as { firstBatch: number; endBatch: number };
      for (let b = shard.firstBatch; b < shard.endBatch; b++)
        sum.add(
          result.metrics[`loss:${b}`] as number,
          result.metrics[`accuracy:${b}`] as number,
          result.metrics[`count:${b}`] as number,
        );
    }
    return sum.result();
  };
  // Loaded on demand: the charting library is only needed with --report.
  const report =
    o.report && outDir !== undefined
      ? new (await import("../report/live-report.js")).LiveReport(
          outDir,
          join(outDir, "report.html"),
        )
      : undefined;
  const onAbort = () => trainer.stopEvent.set();
  signal?.addEventListener("abort", onAbort, { once: true });
  const roundSeconds: number[] = [];
  let lastEvaluation: Evaluation | undefined;
  // Clients go to the trainer in chunks. A chunk's results stay in memory until the next chunk,
  // and each chunk ends with the workers draining, so small models get large chunks (up to
  // CHUNK_RESULT_BYTES of results) and large ones at least 8 a worker. Redis workers are many
  // and remote: they get a whole round (up to 1,024 clients) at once.
  const resultBytes = 4 * (jobs.uplinkNames.length * layout.numParameters + layout.stateLength);
  const chunkSize =
    o.trainer === "redis"
      ? MAX_CHUNK
      : Math.min(
          MAX_CHUNK,
          Math.max(8, o.parallels * 8, Math.floor(CHUNK_RESULT_BYTES / Math.max(1, resultBytes))),
        );
  try {
    // Worker start-up is set-up, not round time: start the pool before the first round.
    if (warmup !== undefined) warmUpFold(layout.numParameters);
    await warmup;
    await trainer.start?.();
    if (signal?.aborted) throw new AbortError("The run was interrupted before it started");
    while (completed < o.rounds) {
      const round = completed; // 0-based: what clients derive their randomness from
      const stop = extension.stopBefore(round);
      if (stop !== undefined) {
        stderr(`blazefl: stopping before round ${round + 1}: ${stop}`);
        if (completed % o.evalEvery !== 0) lastEvaluation = undefined; // evaluate the last model
        break;
      }
      const cids = sampleClients(o.seed, round, o.clients, clientsPerRound);
      bars.startRound(round + 1, cids.length);
      activeRound = round + 1;
      const t0 = performance.now();
      const downlink: KitDownlink = {
        round,
        model: server.model,
        vectors: server.downlink?.(round) ?? {},
      };
      roundConfigs = new Map();
      for (const cid of cids) {
        const clientConfig = server.clientConfig?.(cid, round, cids);
        const state = store?.locate(cid);
        const settings = extension.clientSettings(cid, round);
        if (clientConfig !== undefined || state !== undefined || settings !== undefined)
          roundConfigs.set(cid, {
            ...shared,
            ...(clientConfig !== undefined ? { clientConfig } : {}),
            ...(state !== undefined ? { state } : {}),
            ...(settings !== undefined ? { extension: settings } : {}),
          });
      }
      let lossSum = 0;
      let lossCount = 0;
      let clientSeconds = 0;
      const clientSums: Record<string, number> = {};
      const summed = new Set(definition.clientMetrics ?? []);
      const fold = new OrderedFold<KitUplink>(cids, (pkg) => {
        const update: ClientUpdate = pkg;
        if (!(update.weight >= 0) || !Number.isFinite(update.weight))
          throw new OptionsError(
            `uplink(cid ${pkg.cid}).weight`,
            update.weight,
            "a finite number >= 0",
          );
        const bad = pkg.nonFinite;
        if (bad !== undefined)
          throw new DivergenceError(
            round + 1,
            pkg.cid,
            bad,
            `Lower the learning rate (--lr ${o.lr}${o.momentum > 0 ? `, --momentum ${o.momentum}` : ""}) and start a new run${completed > 0 ? `; the last checkpoint (round ${completed}) is intact` : ""}.`,
          );
        server.fold(update);
        if (store !== undefined && pkg.state !== undefined) store.write(pkg.cid, pkg.state);
        const loss = pkg.metrics.loss;
        if (loss !== undefined && Number.isFinite(loss)) {
          lossSum += loss;
          lossCount++;
        }
        const seconds = pkg.metrics.trainSeconds;
        if (seconds !== undefined && Number.isFinite(seconds)) clientSeconds += seconds;
        for (const [key, value] of Object.entries(pkg.metrics))
          if (summed.has(key) && Number.isFinite(value))
            clientSums[key] = (clientSums[key] ?? 0) + value;
      });
      // Streaming: clients run in chunks and are folded in as they arrive (the rest when the
      // chunk returns; a result folded already is ignored), so memory stays O(chunk x model),
      // not O(clients x model), and aggregation overlaps training.
      arriving = { fold };
      try {
        for (let start = 0; start < cids.length; start += chunkSize) {
          await trainer.localProcess(downlink, cids.slice(start, start + chunkSize));
          if (signal?.aborted)
            throw new AbortError("The run was interrupted", { cause: signal.reason });
          if (arriving.error !== undefined) throw arriving.error;
          for (const pkg of trainer.uplinkPackage()) fold.add(pkg.cid, pkg);
        }
      } finally {
        arriving = undefined;
      }
      server.finish(round);
      store?.commit();
      completed++;
      const seconds = (performance.now() - t0) / 1000;
      roundSeconds.push(seconds);
      let evalSeconds = 0;
      let evaluation: Evaluation | undefined;
      if (completed % o.evalEvery === 0 || completed === o.rounds) {
        const e0 = performance.now();
        evaluation = await evaluate(server.model);
        lastEvaluation = evaluation;
        evalSeconds = (performance.now() - e0) / 1000;
      }
      const trainLoss = lossCount > 0 ? lossSum / lossCount : Number.NaN;
      const metrics: RoundMetrics = {
        round: completed,
        clients: cids,
        roundSeconds: seconds,
        evalSeconds,
        testAccuracy: evaluation?.accuracy ?? null,
        testLoss: evaluation?.loss ?? null,
        trainLoss: Number.isFinite(trainLoss) ? trainLoss : null,
        clientSeconds,
        ...(Object.keys(clientSums).length > 0 ? { clientMetrics: clientSums } : {}),
        ...server.roundMetrics?.(),
      };
      if (outDir !== undefined) {
        metricsLog?.append(metrics);
        store?.flush();
        writeCheckpoint(outDir, {
          round: completed,
          configDigest: digest,
          model: server.model,
          server: server.captureState(),
          ...(store !== undefined ? { clientState: store.captureTable() } : {}),
        });
      }
      await report?.update();
      await io.onRound?.(metrics);
      const line =
        `round ${completed}/${o.rounds}: clients ${cids.length}, round ${seconds.toFixed(3)}s` +
        (evaluation !== undefined
          ? `, eval ${evalSeconds.toFixed(3)}s, test accuracy ${evaluation.accuracy.toFixed(4)}, test loss ${evaluation.loss.toFixed(4)}`
          : "") +
        (Number.isFinite(trainLoss) ? `, train loss ${trainLoss.toFixed(4)}` : "");
      bars.roundDone(evaluation !== undefined ? `acc ${evaluation.accuracy.toFixed(4)}` : "");
      if (!o.quiet) {
        if (io.progress !== false && process.stderr.isTTY && process.stdout.isTTY) bars.log(line);
        else stdout(line);
      }
    }
  } catch (error) {
    store?.discard();
    lock?.release();
    if (signal?.aborted && !(error instanceof AbortError))
      throw new AbortError("The run was interrupted", { cause: error });
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    bars.stop();
    await trainer.shutdown?.();
    store?.close();
    metricsLog?.close();
  }

  // Nothing evaluated (a resumed run that was already complete): the pool is shut down by now.
  lastEvaluation ??= await evaluateOnServer(model, testBatches, server.model, signal);
  const parameters = server.model;
  const modelSha256 = sha256Float32(parameters);
  if (outDir !== undefined) {
    writeFileAtomic(join(outDir, "model.f32"), [
      new Uint8Array(parameters.buffer, parameters.byteOffset, parameters.byteLength),
    ]);
    const modelJson = {
      model: o.model,
      numParameters,
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
    writeFileAtomic(join(outDir, "model.json"), [
      Buffer.from(`${JSON.stringify(modelJson, null, 2)}\n`),
    ]);
    await report?.finish();
  }
  lock?.release();
  model.dispose();
  return {
    rounds: completed,
    testAccuracy: lastEvaluation.accuracy,
    testLoss: lastEvaluation.loss,
    modelSha256,
    roundSecondsMedian: median(roundSeconds),
    algorithm: definition.name,
    engine: engine.engine,
    trainer: o.trainer,
    parallels: o.trainer === "serial" ? 1 : o.parallels,
    ...(report !== undefined ? { report: report.file } : {}),
    ...extension.summary(),
  };
}
