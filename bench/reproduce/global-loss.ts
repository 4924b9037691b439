/**
 * The papers' "training loss": the final global model's sample-weighted mean cross-entropy over
 * every client's training split (not the sampled clients' local losses that `metrics.jsonl`
 * reports), computed with the data and model APIs the way `runExperiment` evaluates.
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFederatedDataset } from "../../src/data/federated/load-federated-dataset.js";
import { type ExperimentInput, resolveRunOptions } from "../../src/kit/experiment-options.js";
import { datasetSpecOf } from "../../src/kit/run-experiment.js";
import { createModel, resolveModelSpec } from "../../src/models/create-model.js";

/** The global model's loss and accuracy over all clients' training data. */
export interface GlobalTrainEvaluation {
  /** Sample-weighted mean cross-entropy over every client's training split. */
  readonly trainLoss: number;
  /** Accuracy over the same samples. */
  readonly trainAccuracy: number;
  /** The samples evaluated (all clients' training splits). */
  readonly trainSamples: number;
}

/**
 * Evaluates the model a run wrote to `out/model.f32` on the training split of each of the
 * run's clients. Call after `runExperiment` (which has initialised the engine).
 */
export async function evaluateOnAllClients(
  input: ExperimentInput,
  out: string,
): Promise<GlobalTrainEvaluation> {
  const o = resolveRunOptions(input);
  const data = await loadFederatedDataset(datasetSpecOf(o));
  const model = await createModel(resolveModelSpec(o.model), {
    inputShape: data.sampleShape,
    numClasses: data.numClasses,
    seed: o.seed,
  });
  const bytes = readFileSync(join(out, "model.f32"));
  const parameters = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  model.setFlatParameters(parameters.slice());
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (let cid = 0; cid < o.clients; cid++) {
    const r = model.evaluate(data.getDataloader("train", cid, 500, undefined));
    if (r.count === 0) continue;
    lossSum += r.loss * r.count;
    correct += Math.round(r.accuracy * r.count);
    count += r.count;
  }
  model.dispose();
  return { trainLoss: lossSum / count, trainAccuracy: correct / count, trainSamples: count };
}
