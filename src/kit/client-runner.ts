/**
 * The worker side of the kit: {@link runKitClient} trains one client of any algorithm, in any
 * worker (the serial trainer's thread, a pool thread, a pool process, a Redis worker). A worker
 * keeps its engine, dataset, model and optimizers across clients and rounds; a client's result is
 * a pure function of (global model, downlink, its state, seed, cid, round), so which worker ran
 * it never matters. This is the code base's one local training loop.
 * @module
 */
import { openSync } from "node:fs";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { isMainThread } from "node:worker_threads";
import type { Tensor } from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import { isPoolWorker } from "../core/pool/worker-runtime.js";
import type { StopEvent } from "../core/stop-event.js";
import type { FederatedDatasetSpec } from "../data/federated/federated-dataset-spec.js";
import { loadFederatedDataset } from "../data/federated/load-federated-dataset.js";
import { initEngine } from "../engine/init-engine.js";
import { tf } from "../engine/tfjs.js";
import { createModel, type ResolvedModelSpec } from "../models/create-model.js";
import { SgdOptimizer } from "../models/sgd-optimizer.js";
import type { TrainableModel } from "../models/trainable-model.js";
import { clientStream } from "../reproducibility/client-stream.js";
import type {
  AlgorithmDefinition,
  ClientContext,
  LocalSgdOptions,
  LocalSgdResult,
  LocalTrainingConfig,
} from "./algorithm.js";
import { readStateInto, type StateLocation } from "./client-state-store.js";
import {
  attackedBatches,
  type ClientExtensionSettings,
  filterClientModel,
} from "./client-update-filter.js";
import { firstNonFiniteValue } from "./divergence-error.js";
import { loadAlgorithm } from "./load-algorithm.js";
import type { JsonValue } from "./server-optimizer.js";

/** Where a worker finds an algorithm: data, never code (a module URL and an export name). */
export interface AlgorithmRef {
  /** The module's URL (`file:` for built-ins and user modules). */
  readonly moduleUrl: string;
  /**
   * The export holding the definition (`default` when it is the default export; `*` to find
   * the export whose definition is called {@link AlgorithmRef.name}).
   */
  readonly exportName: string;
  /** The algorithm's name, when `exportName` is `*`. */
  readonly name?: string;
}

/** The per-client job configuration the parent sends with each client (JSON-safe data). */
export interface KitClientConfig {
  /** The algorithm to run. */
  readonly algorithm: AlgorithmRef;
  /** Its options, validated in the parent by its schema. */
  readonly options: JsonValue;
  /** The shared local-training settings. */
  readonly training: LocalTrainingConfig;
  /** The model to build (resolved in the parent: a zoo name or an absolute module URL). */
  readonly model: ResolvedModelSpec;
  /** The federated dataset, loaded once per worker. */
  readonly dataset: FederatedDatasetSpec;
  /** The server's per-client setting for this round, if any. */
  readonly clientConfig?: JsonValue;
  /** Where the client's committed state is; absent before its first round. */
  readonly state?: StateLocation;
  /** The run's attack and DP settings for this client (label flip, clipping, local noise), if any. */
  readonly extension?: ClientExtensionSettings;
  /**
   * Not a client's training: a shard of the server's test set to evaluate (see
   * {@link EvaluationTask}), or a warm-up that loads the worker's engine, dataset and model while
   * the parent sets up, so the first round costs what the others do.
   */
  readonly task?: EvaluationTask | { readonly kind: "warmup" };
}

/**
 * Evaluate the downlink model on batches `firstBatch` to `endBatch - 1` of the server's test set
 * (in order, `batchSize` each): the parent splits evaluation across the pool's workers by whole
 * batches and sums the per-batch results in batch order, so the figures are bit-identical to a
 * serial evaluation. The results come back in `metrics` as `loss:B`, `accuracy:B`, `count:B`.
 */
export interface EvaluationTask {
  /** The task kind. */
  readonly kind: "evaluate";
  /** The first batch of the shard. */
  readonly firstBatch: number;
  /** One past its last batch. */
  readonly endBatch: number;
  /** The evaluation batch size. */
  readonly batchSize: number;
}

/** Server to client: one round's broadcast, written once to shared memory. */
export interface KitDownlink {
  /** The 0-based round. */
  readonly round: number;
  /** The global model. */
  readonly model: Float32Array;
  /** The algorithm's other broadcast vectors. */
  readonly vectors: Readonly<Record<string, Float32Array>>;
}

/** Client to server: what one client sends back, in its shared result buffer. */
export interface KitUplink {
  /** The client id. */
  readonly cid: number;
  /** The aggregation weight. */
  readonly weight: number;
  /** The local steps taken. */
  readonly steps: number;
  /** The client's numbers (loss, trainSeconds, …). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The uplink vectors by name. */
  readonly vectors: Readonly<Record<string, Float32Array>>;
  /** The client's new state (algorithms with state only). */
  readonly state?: Float32Array;
  /**
   * The first NaN or infinity among the uplink vectors, as `"name[i] is v"`, when there is one:
   * training diverged. {@link runKitClient} scans the vectors where they were just written (hot
   * in this worker's cache), so the parent, which folds every client's result on the busiest
   * core, does not read them twice.
   */
  readonly nonFinite?: string;
}

interface WorkerModel {
  readonly model: TrainableModel;
  readonly optimizers: Map<string, SgdOptimizer>;
}

const engines = new Map<string, Promise<unknown>>();
const models = new Map<string, Promise<WorkerModel>>();
const stateFds = new Map<string, number>();

function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    value.catch(() => map.delete(key));
    map.set(key, value);
  }
  return value;
}

async function workerModel(config: KitClientConfig, device: string): Promise<WorkerModel> {
  await cached(engines, device, () => initEngine(device));
  const key = JSON.stringify([device, config.model, config.training.seed, config.dataset]);
  return cached(models, key, async () => {
    const data = await loadFederatedDataset(config.dataset);
    const model = await createModel(config.model, {
      inputShape: data.sampleShape,
      numClasses: data.numClasses,
      seed: config.training.seed,
    });
    return { model, optimizers: new Map() };
  });
}

function optimizerFor(state: WorkerModel, training: LocalTrainingConfig, lr: number): SgdOptimizer {
  const key = `${lr}/${training.momentum}/${training.weightDecay}`;
  let optimizer = state.optimizers.get(key);
  if (optimizer === undefined) {
    optimizer = new SgdOptimizer({
      lr,
      momentum: training.momentum,
      weightDecay: training.weightDecay,
    });
    state.optimizers.set(key, optimizer);
  }
  return optimizer;
}

function readState(location: StateLocation, out: Float32Array): void {
  let fd = stateFds.get(location.path);
  if (fd === undefined) {
    fd = openSync(location.path, "r");
    stateFds.set(location.path, fd);
  }
  readStateInto(fd, location.offset, out);
}

/**
 * How long a warm-up trains (seconds): about twenty small clients (fmnist-mlp), or part of one
 * large one (the CNN). The parent is usually ready first and waits for it, so it adds to set-up
 * (0.25-0.4 s) what it saves in round 1 (50-70 ms at one worker): `docs/benchmarks-kit.md`.
 */
const WARMUP_SECONDS = 0.3;

/**
 * Trains throwaway clients through the real client path (the algorithm's client part, its
 * `localSgd`, the uplink), then evaluates one batch, so that V8 has optimised the code of round 1
 * before it starts. A loop of bare training steps does not do it: its code is not the code a
 * client runs, and clients stayed slower for their first ten or so after 1,000 such steps. The
 * clients start from the worker's own model, with zero downlink vectors and no state, and their
 * results are dropped. Nothing else depends on them: every job sets the downlink model first, and
 * every `localSgd` resets its optimizer. A client part that cannot run on these inputs (a user's
 * downlink vector of another length, say) ends the warm-up early; its real jobs report it.
 */
async function warmUp(
  job: KitClientJob,
  definition: AlgorithmDefinition,
  worker: WorkerModel,
  data: Awaited<ReturnType<typeof loadFederatedDataset>>,
): Promise<void> {
  const { model } = worker;
  const global = model.getFlatParameters();
  const vectors: Record<string, Float32Array> = {};
  for (const name of definition.downlink ?? []) vectors[name] = new Float32Array(global.length);
  const { task: _task, state: _state, ...config } = job.config;
  const deadline = performance.now() + WARMUP_SECONDS * 1000;
  const due = () => performance.now() > deadline;
  // A client still training at the deadline stops there, as on a stop event: one CNN client
  // takes longer than the whole warm-up should.
  const stopEvent: StopEvent = {
    isSet: () => job.stopEvent.isSet() || due(),
    set: () => job.stopEvent.set(),
    clear: () => job.stopEvent.clear(),
  };
  try {
    for (let cid = 0; cid < data.numClients && !stopEvent.isSet(); cid++) {
      if (data.size("train", cid) === 0) continue;
      const payload = { round: 0, model: global, vectors };
      await runKitClient({ ...job, cid, config, payload, stopEvent, shmBuffer: undefined });
    }
  } catch {
    // See above: the warm-up only ends sooner.
  }
  for (const batch of data.getDataloader("test", undefined, 500, undefined)) {
    model.evaluate([batch]);
    break;
  }
}

function evaluateShard(
  cid: number,
  task: EvaluationTask,
  model: TrainableModel,
  data: Awaited<ReturnType<typeof loadFederatedDataset>>,
  shmBuffer: KitUplink | undefined,
): KitUplink {
  const metrics: Record<string, number> = {};
  let b = task.firstBatch;
  for (const batch of data.getDataloader("test", undefined, task.batchSize, undefined, {
    first: task.firstBatch,
    end: task.endBatch,
  })) {
    const r = model.evaluate([batch]);
    metrics[`loss:${b}`] = r.loss;
    metrics[`accuracy:${b}`] = r.accuracy;
    metrics[`count:${b}`] = r.count;
    b++;
  }
  return { cid, weight: 0, steps: 0, metrics, vectors: shmBuffer?.vectors ?? {} };
}

/** The inputs of {@link runKitClient}. */
export interface KitClientJob {
  /** The client id. */
  readonly cid: number;
  /** The parent's configuration for this client. */
  readonly config: KitClientConfig;
  /** The round's broadcast. */
  readonly payload: KitDownlink;
  /** The device. */
  readonly device: string;
  /** The stop flag. */
  readonly stopEvent: StopEvent;
  /** The preallocated result buffer (vectors and state in shared memory), if any. */
  readonly shmBuffer: KitUplink | undefined;
  /**
   * The client's committed state when it does not come from a state file (a Redis worker read
   * it from Redis); `config.state` takes precedence.
   */
  readonly initialState?: Float32Array;
}

/**
 * Trains one client: prepares the worker's model, the client's state and output vectors, runs
 * the algorithm's client part, and returns the uplink (written into `shmBuffer` when given).
 */
export async function runKitClient(job: KitClientJob): Promise<KitUplink> {
  const { cid, config, payload, device, stopEvent, shmBuffer } = job;
  const definition: AlgorithmDefinition = await loadAlgorithm(config.algorithm);
  const worker = await workerModel(config, device);
  const data = await loadFederatedDataset(config.dataset);
  if (config.task?.kind === "warmup") {
    await warmUp(job, definition, worker, data);
    return { cid, weight: 0, steps: 0, metrics: {}, vectors: {} };
  }
  const { model } = worker;
  const n = model.numParameters;
  if (payload.model.length !== n)
    throw new OptionsError("downlink model", payload.model.length, `${n} parameters`);
  model.setFlatParameters(payload.model);
  if (config.task?.kind === "evaluate")
    return evaluateShard(cid, config.task, model, data, shmBuffer);
  const vectors = shmBuffer?.vectors ?? {};
  const uplink: Record<string, Float32Array> = {};
  for (const name of definition.uplink ?? ["model"])
    uplink[name] = vectors[name] ?? new Float32Array(n);
  const stateLength =
    definition.stateLength?.({ numParameters: n, options: config.options as never }) ?? 0;
  let state: Float32Array | undefined;
  if (stateLength > 0) {
    state = shmBuffer?.state ?? new Float32Array(stateLength);
    if (config.state !== undefined) readState(config.state, state);
    else if (job.initialState !== undefined) {
      if (job.initialState.length !== stateLength)
        throw new OptionsError("initialState", job.initialState.length, `${stateLength} values`);
      state.set(job.initialState);
    } else state.fill(0);
  }
  const dataSize = data.size("train", cid);
  const training = config.training;
  const round = payload.round;
  // In the main thread (the serial trainer) let signals and timers run between batches, so a
  // Ctrl+C is seen within one batch; pool workers see the shared stop flag instead.
  const yieldBetweenBatches = isMainThread && !isPoolWorker();
  const tensors: Tensor[] = [];
  const trainBatches = (rng: ReturnType<typeof clientStream>) =>
    attackedBatches(
      config.extension,
      data.getDataloader("train", cid, training.batchSize, rng),
      data.numClasses,
    );
  const batches = (stream = 0) => trainBatches(clientStream(training.seed, cid, round, stream));
  const localSgd = async (options: LocalSgdOptions = {}): Promise<LocalSgdResult> => {
    const optimizer = optimizerFor(worker, training, options.lr ?? training.lr);
    optimizer.reset();
    const rng = clientStream(training.seed, cid, round, options.stream ?? 0);
    const maxSteps = options.steps ?? Number.POSITIVE_INFINITY;
    const epochCount =
      options.steps !== undefined ? Number.POSITIVE_INFINITY : (options.epochs ?? training.epochs);
    let steps = 0;
    let lossSum = 0;
    epochs: for (let epoch = 0; epoch < epochCount && steps < maxSteps && dataSize > 0; epoch++) {
      for (const batch of trainBatches(rng)) {
        if (stopEvent.isSet() || steps >= maxSteps) break epochs;
        lossSum += model.trainStep(batch, optimizer, options.term);
        steps++;
        if (yieldBetweenBatches) await yieldToEventLoop();
      }
    }
    return { steps, loss: steps > 0 ? lossSum / steps : Number.NaN };
  };
  const context: ClientContext<never> = {
    cid,
    round,
    options: config.options as never,
    training,
    clientConfig: config.clientConfig,
    global: payload.model,
    downlink: payload.vectors,
    state,
    hasState: config.state !== undefined || job.initialState !== undefined,
    uplink,
    model,
    dataSize,
    batches,
    localSgd,
    evaluate: () => model.evaluate(data.getDataloader("test", cid, 500, undefined)),
    parameterTensors: (flat) => {
      if (flat.length !== n)
        throw new OptionsError("parameterTensors(flat)", flat.length, `${n} values`);
      const split = model.parameterInfo.map((p) =>
        tf.tensor(flat.subarray(p.offset, p.offset + p.size), [...p.shape], "float32"),
      );
      tensors.push(...split);
      return split;
    },
    stopEvent,
  };
  const t0 = performance.now();
  try {
    const result = await definition.client(context);
    const weight = result.weight ?? dataSize;
    const filtered =
      uplink.model !== undefined
        ? filterClientModel(config.extension, uplink.model, payload.model, {
            seed: training.seed,
            cid,
            round,
          })
        : {};
    const trainSeconds = (performance.now() - t0) / 1000;
    const nonFinite = firstNonFiniteValue(uplink);
    return {
      cid,
      weight,
      steps: result.steps ?? 0,
      metrics: { ...result.metrics, ...filtered, trainSeconds },
      vectors: uplink,
      ...(state !== undefined ? { state } : {}),
      ...(nonFinite !== undefined ? { nonFinite } : {}),
    };
  } finally {
    for (const t of tensors) t.dispose();
  }
}
