/**
 * FedAvg's client: the one training function behind the serial, thread-pool and process-pool
 * trainers (see `ClientTask`). A worker keeps its engine, dataset and model across clients
 * and rounds; a client's result is a pure function of (global model, seed, cid, round).
 * @module
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { isMainThread } from "node:worker_threads";
import type { ClientTaskContext } from "../../core/pool/trainer-options.js";
import { isPoolWorker } from "../../core/pool/worker-runtime.js";
import { loadFederatedDataset } from "../../data/federated/load-federated-dataset.js";
import { initEngine } from "../../engine/init-engine.js";
import type { SequentialClassifier } from "../../models/sequential-classifier.js";
import { SgdOptimizer } from "../../models/sgd-optimizer.js";
import { clientStream } from "../../reproducibility/client-stream.js";
import type { FedAvgClientConfig } from "./client-config.js";
import { createFedAvgModel } from "./model-factory.js";
import type { FedAvgDownlinkPackage, FedAvgUplinkPackage } from "./packages.js";

/** The argument of {@link trainFedAvgClient}. */
export type FedAvgClientContext = ClientTaskContext<
  FedAvgUplinkPackage,
  FedAvgDownlinkPackage,
  FedAvgClientConfig
>;

interface WorkerState {
  readonly model: SequentialClassifier;
  readonly optimizers: Map<string, SgdOptimizer>;
}

const engines = new Map<string, Promise<unknown>>();
const workerStates = new Map<string, Promise<WorkerState>>();

async function workerState(config: FedAvgClientConfig, device: string): Promise<WorkerState> {
  let engine = engines.get(device);
  if (engine === undefined) {
    engine = initEngine(device);
    engine.catch(() => engines.delete(device));
    engines.set(device, engine);
  }
  await engine;
  const key = JSON.stringify([device, config.modelName, config.seed, config.dataset]);
  let state = workerStates.get(key);
  if (state === undefined) {
    state = (async () => {
      const data = await loadFederatedDataset(config.dataset);
      const model = createFedAvgModel(
        config.modelName,
        data.sampleShape,
        data.numClasses,
        config.seed,
      );
      return { model, optimizers: new Map<string, SgdOptimizer>() };
    })();
    state.catch(() => workerStates.delete(key));
    workerStates.set(key, state);
  }
  return state;
}

/**
 * Trains one client: loads the global model, runs `epochs` passes of SGD over the client's
 * training data in an order drawn from `clientStream(seed, cid, round)`, and writes the result
 * into the shared buffer when there is one. Between batches it checks the stop event and, when
 * set, returns at once (the trainer then rejects the call).
 */
export async function trainFedAvgClient(
  context: FedAvgClientContext,
): Promise<FedAvgUplinkPackage> {
  const { cid, config, payload, device, stopEvent, shmBuffer } = context;
  const state = await workerState(config, device);
  const data = await loadFederatedDataset(config.dataset);
  const { model } = state;
  const optimizerKey = `${config.lr}/${config.momentum}/${config.weightDecay}`;
  let optimizer = state.optimizers.get(optimizerKey);
  if (optimizer === undefined) {
    optimizer = new SgdOptimizer({
      lr: config.lr,
      momentum: config.momentum,
      weightDecay: config.weightDecay,
    });
    state.optimizers.set(optimizerKey, optimizer);
  }
  optimizer.reset();
  model.setFlatParameters(payload.modelParameters);
  const rng = clientStream(config.seed, cid, payload.round);
  let lossSum = 0;
  let steps = 0;
  const dataSize = data.size("train", cid);
  const out = shmBuffer?.modelParameters ?? new Float32Array(model.numParameters);
  // In the main thread (the serial trainer) let signals and timers run between batches, so a
  // Ctrl+C is seen within one batch; pool workers see the shared stop flag instead.
  const yieldBetweenBatches = isMainThread && !isPoolWorker();
  const t0 = performance.now();
  training: for (let epoch = 0; epoch < config.epochs; epoch++) {
    for (const batch of data.getDataloader("train", cid, config.batchSize, rng)) {
      if (stopEvent.isSet()) break training;
      lossSum += model.trainStep(batch, optimizer);
      steps++;
      if (yieldBetweenBatches) await yieldToEventLoop();
    }
  }
  model.getFlatParameters(out);
  return {
    cid,
    modelParameters: out,
    dataSize: Math.max(dataSize, 1),
    metadata: {
      loss: steps > 0 ? lossSum / steps : Number.NaN,
      trainSeconds: (performance.now() - t0) / 1000,
    },
  };
}
