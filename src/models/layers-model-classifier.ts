/**
 * {@link LayersModelClassifier} trains every `tf.LayersModel` (sequential or functional, any layers
 * tfjs-layers has, custom layers included) as a {@link TrainableModel}: gradients from tfjs's
 * autodiff, updates through {@link SgdOptimizer}, initial weights from BlazeFL's seeded
 * generator, weights exposed as one flat vector in a documented order.
 *
 * @module
 */

import type {
  LayersModel,
  LayerVariable,
  layers,
  Scalar,
  SymbolicTensor,
  Tensor,
  Variable,
} from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import type { Batch } from "../core/partitioned-dataset.js";
import { tf } from "../engine/tfjs.js";
import type { Rng } from "../reproducibility/rng.js";
import { assertBatch } from "./check-batch.js";
import { readFlatParameters, writeFlatParameters } from "./flat-parameters.js";
import type { GradientTerm } from "./gradient-term.js";
import { drawInitializer, type InitializerSpec } from "./seeded-initializer.js";
import type { EvaluationResult, ParameterInfo } from "./sequential-classifier.js";
import type { SgdOptimizer } from "./sgd-optimizer.js";
import { softmaxCrossEntropy } from "./softmax-cross-entropy.js";
import type { TrainableModel } from "./trainable-model.js";

/** Options of {@link LayersModelClassifier}. */
export interface LayersModelClassifierOptions {
  /**
   * The generator the initial weights are drawn from (advanced by the draws), e.g.
   * `createRngSuite(seed).init`; the weights tfjs drew when it built the model are overwritten.
   */
  readonly rng: Rng;
  /** The model's name in messages and `model.json`. @default the tfjs model's name */
  readonly name?: string;
  /** The number of classes; the model's output must be `[batch, numClasses]`. @default its output size */
  readonly numClasses?: number;
  /** One sample's shape; must match the model's input. @default the model's input shape */
  readonly inputShape?: readonly number[];
  /** The option named in errors about the model (the CLI passes `--model`). @default "model" */
  readonly option?: string;
}

/** The layer-config key of the initialiser of each weight, by the weight's own name. */
const INITIALIZER_KEYS: Readonly<Record<string, string>> = {
  kernel: "kernelInitializer",
  bias: "biasInitializer",
  recurrent_kernel: "recurrentInitializer",
  gamma: "gammaInitializer",
  beta: "betaInitializer",
  moving_mean: "movingMeanInitializer",
  moving_variance: "movingVarianceInitializer",
  embeddings: "embeddingsInitializer",
  depthwise_kernel: "depthwiseInitializer",
  pointwise_kernel: "pointwiseInitializer",
  alpha: "alphaInitializer",
};

/** Layers that draw random numbers while training (from tfjs's unseeded generator). */
const RANDOM_LAYERS: Readonly<Record<string, string>> = {
  Dropout: "rate",
  SpatialDropout1D: "rate",
  AlphaDropout: "rate",
  GaussianDropout: "rate",
  GaussianNoise: "stddev",
};

type Config = Readonly<Record<string, unknown>>;

interface WeightEntry {
  readonly layer: layers.Layer;
  readonly variable: LayerVariable;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Finds `key` in a layer config, looking into wrapped layers' and cells' configs too. */
function findInConfig(config: unknown, key: string, depth = 0): unknown {
  if (config === null || typeof config !== "object" || depth > 4) return undefined;
  const c = config as Config;
  if (key in c) return c[key];
  for (const value of Object.values(c)) {
    const found = findInConfig(value, key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isInitializerSpec(value: unknown): value is InitializerSpec {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { className?: unknown }).className === "string"
  );
}

/** Every weight, layer by layer (nested models walked in place), each layer's own order. */
function collectWeights(layers: readonly layers.Layer[], out: WeightEntry[], seen: Set<unknown>) {
  for (const layer of layers) {
    const inner = (layer as { layers?: unknown }).layers;
    if (Array.isArray(inner)) {
      collectWeights(inner as layers.Layer[], out, seen);
      continue;
    }
    for (const variable of layer.weights) {
      if (seen.has(variable)) continue;
      seen.add(variable);
      out.push({ layer, variable });
    }
  }
}

/** Layers of `layers` and of nested models, flattened. */
function allLayers(layers: readonly layers.Layer[]): layers.Layer[] {
  return layers.flatMap((layer) => {
    const inner = (layer as { layers?: unknown }).layers;
    return Array.isArray(inner) ? allLayers(inner as layers.Layer[]) : [layer];
  });
}

/**
 * A `tf.LayersModel` trained as a classifier with softmax cross-entropy and SGD.
 *
 * **Flat parameter order:** layer by layer in `model.layers` order (a nested model's layers in
 * place), and within a layer in the layer's own `weights` order: its trainable weights, then its
 * non-trainable ones (batch norm: `gamma`, `beta`, `moving_mean`, `moving_variance`, as in a
 * PyTorch `state_dict`). Each is row-major in its tfjs shape (dense kernels `[in, out]`, conv
 * kernels `[kh, kw, in, out]`). Non-trainable weights are part of the vector, so FedAvg averages
 * batch-norm statistics too, as PyTorch FL code averaging a `state_dict` does; an algorithm that
 * must not (FedBN) can skip them through {@link LayersModelClassifier.parameterInfo}'s
 * `trainable` flags. The order is fixed when the classifier is built.
 *
 * **Initialisation:** every weight is drawn, in flat order, from the given {@link Rng} with the
 * semantics of the initialiser its layer names (glorotNormal, heUniform, orthogonal, zeros, ...;
 * see `drawInitializer`), so the same seed gives the same weights in every thread and process.
 * An LSTM's `unitForgetBias` is honoured.
 *
 * **Outputs:** logits, or probabilities when the last layer ends in a softmax (their clipped
 * log is then taken as the logits). The loss is softmax cross-entropy, the mean over the batch.
 *
 * **Determinism:** layers that draw random numbers while training (Dropout, GaussianNoise, RNN
 * dropout) are refused: tfjs draws them from an unseeded generator, which would make runs
 * irreproducible. Regularisers attached to layers are not added to the loss; use the
 * optimizer's `weightDecay`.
 */
export class LayersModelClassifier implements TrainableModel {
  /** The model's name. */
  readonly name: string;
  /** One sample's shape. */
  readonly inputShape: readonly number[];
  /** The number of classes. */
  readonly numClasses: number;
  /** Every weight, in flat order; `trainable` says which ones SGD updates. */
  readonly parameterInfo: readonly (ParameterInfo & { readonly trainable: boolean })[];
  /** The total number of float32 values, trainable and not. */
  readonly numParameters: number;
  /** The number of trainable values (what PyTorch's `parameters()` counts). */
  readonly numTrainableParameters: number;
  /** The wrapped tfjs model; changing its weights directly bypasses nothing, it is the model. */
  readonly model: LayersModel;
  readonly #variables: Variable[];
  readonly #trainable: Variable[];
  readonly #trainableIndices: number[];
  readonly #probabilities: boolean;
  #disposed = false;

  /**
   * @param model - The tfjs model: one input of a fixed sample shape, one output `[batch, K]`.
   * @param options - The generator of the initial weights and optional checks.
   * @throws OptionsError naming `options.option` when the model does not fit (several inputs or
   *   outputs, an output of the wrong size, a random layer, a non-float32 weight, an initialiser
   *   BlazeFL cannot draw).
   */
  constructor(model: LayersModel, options: LayersModelClassifierOptions) {
    const option = options.option ?? "model";
    if (model === null || typeof model !== "object" || !Array.isArray(model.layers))
      throw new OptionsError(option, model, "a tf.LayersModel");
    this.model = model;
    this.name = options.name ?? model.name;
    if (model.inputs.length !== 1 || model.outputs.length !== 1)
      throw new OptionsError(
        option,
        `a model with ${model.inputs.length} inputs and ${model.outputs.length} outputs`,
        "a model with one input and one output",
      );
    const inShape = (model.inputs[0] as SymbolicTensor).shape.slice(1);
    if (inShape.some((d) => typeof d !== "number"))
      throw new OptionsError(option, `input shape [${inShape.join(", ")}]`, "a fixed sample shape");
    this.inputShape = Object.freeze(
      options.inputShape ? [...options.inputShape] : (inShape as number[]),
    );
    if (product(this.inputShape) !== product(inShape as number[]))
      throw new OptionsError(
        option,
        `a model whose input is [${inShape.join(", ")}]`,
        `a model taking samples of shape [${this.inputShape.join(", ")}]`,
      );
    const outShape = (model.outputs[0] as SymbolicTensor).shape;
    const classes = options.numClasses ?? outShape[1];
    if (outShape.length !== 2 || typeof classes !== "number" || outShape[1] !== classes)
      throw new OptionsError(
        option,
        `a model whose output is [${outShape.map((d) => d ?? "batch").join(", ")}]`,
        `a model whose output is [batch, ${classes ?? "numClasses"}] (one value per class)`,
      );
    this.numClasses = classes;
    const layers = allLayers(model.layers);
    for (const layer of layers) {
      const config = layer.getConfig();
      const randomKey = RANDOM_LAYERS[layer.getClassName()];
      const random =
        (randomKey !== undefined && Number(config[randomKey]) > 0) ||
        Number(config.dropout ?? 0) > 0 ||
        Number(config.recurrentDropout ?? 0) > 0;
      if (random)
        throw new OptionsError(
          option,
          `layer ${layer.name} (${layer.getClassName()}) draws random numbers while training`,
          "layers without training-time randomness: tfjs draws it unseeded, which breaks reproducibility",
        );
    }
    const last = layers.at(-1);
    this.#probabilities =
      last !== undefined &&
      (last.getClassName() === "Softmax" || last.getConfig().activation === "softmax");

    const entries: WeightEntry[] = [];
    collectWeights(model.layers, entries, new Set());
    const info: (ParameterInfo & { trainable: boolean })[] = [];
    let offset = 0;
    for (const { layer, variable } of entries) {
      if (variable.dtype !== "float32")
        throw new OptionsError(
          option,
          `weight ${variable.originalName} (${variable.dtype})`,
          "float32 weights",
        );
      const shape = [...variable.shape] as number[];
      const size = product(shape);
      info.push({
        name: variable.originalName.split("/").join("."),
        layer: layer.name,
        shape,
        offset,
        size,
        trainable: variable.trainable && layer.trainable,
      });
      offset += size;
    }
    this.parameterInfo = Object.freeze(info);
    this.numParameters = offset;
    this.numTrainableParameters = info.reduce((n, p) => n + (p.trainable ? p.size : 0), 0);
    this.#variables = entries.map(({ variable }) => {
      const v = variable.read();
      if (!(v instanceof tf.Variable))
        throw new OptionsError(option, variable.originalName, "a weight backed by a tf.Variable");
      return v;
    });
    this.#trainableIndices = info.flatMap((p, i) => (p.trainable ? [i] : []));
    this.#trainable = this.#trainableIndices.map((i) => this.#variables[i] as Variable);
    this.setFlatParameters(this.#initialValues(entries, options.rng, option));
  }

  #initialValues(entries: readonly WeightEntry[], rng: Rng, option: string): Float32Array {
    const flat = new Float32Array(this.numParameters);
    for (const [i, { layer, variable }] of entries.entries()) {
      const p = this.parameterInfo[i] as ParameterInfo;
      const base = variable.originalName.split("/").at(-1) ?? "";
      const key = INITIALIZER_KEYS[base];
      const config = layer.getConfig();
      const spec = key === undefined ? undefined : findInConfig(config, key);
      if (!isInitializerSpec(spec))
        throw new OptionsError(
          option,
          `weight ${variable.originalName} of layer ${layer.name} (${layer.getClassName()})`,
          `a weight named ${Object.keys(INITIALIZER_KEYS).join("/")} whose layer config names its initializer`,
        );
      const values = drawInitializer(spec, p.shape, rng, `${option} weight ${p.name}`);
      // tfjs's LSTM cell sets the forget gate's bias (the second quarter) to one.
      if (base === "bias" && findInConfig(config, "unitForgetBias") === true) {
        const units = values.length / 4;
        values.fill(1, units, 2 * units);
      }
      flat.set(values, p.offset);
    }
    return flat;
  }

  /** Copies every weight, in flat order, into `out` (allocated when omitted) and returns it. */
  getFlatParameters(out?: Float32Array): Float32Array {
    this.#assertAlive();
    return readFlatParameters(this.#variables, this.parameterInfo, this.numParameters, out);
  }

  /** Overwrites every weight from `flat` (copied: later changes to `flat` do not leak in). */
  setFlatParameters(flat: Float32Array): void {
    this.#assertAlive();
    writeFlatParameters(this.#variables, this.parameterInfo, this.numParameters, flat);
  }

  /**
   * One SGD step on `batch`: forward in training mode (batch norm uses the batch's statistics
   * and moves its running ones), softmax cross-entropy, tfjs autodiff, then the optimizer on
   * the trainable weights, each with its {@link parameterInfo} index for `term`.
   * @returns The batch's mean loss (before the update).
   */
  trainStep(batch: Batch, optimizer: SgdOptimizer, term?: GradientTerm): number {
    this.#assertAlive();
    this.#check(batch, true);
    return tf.tidy(() => {
      const { loss, grads } = this.#lossAndGrads(batch);
      optimizer.apply(this.#trainable, grads, term, this.#trainableIndices);
      return loss;
    });
  }

  /** The mean loss of `batch` and its gradient over every weight (zero for non-trainable ones), flat. */
  computeGradients(batch: Batch, out?: Float32Array): { loss: number; gradients: Float32Array } {
    this.#assertAlive();
    this.#check(batch, true);
    const gradients = out ?? new Float32Array(this.numParameters);
    if (gradients.length !== this.numParameters)
      throw new OptionsError("out.length", gradients.length, `${this.numParameters}`);
    gradients.fill(0);
    // Training mode moves batch-norm statistics; put them back so this stays side-effect free.
    const before = this.getFlatParameters();
    const loss = tf.tidy(() => {
      const r = this.#lossAndGrads(batch);
      for (const [j, g] of r.grads.entries()) {
        const p = this.parameterInfo[this.#trainableIndices[j] as number] as ParameterInfo;
        gradients.set(g.dataSync() as Float32Array, p.offset);
      }
      return r.loss;
    });
    this.setFlatParameters(before);
    return { loss, gradients };
  }

  /** The logits of `batch` in inference mode, `size * numClasses` values, row-major. */
  predictLogits(batch: Batch): Float32Array {
    this.#assertAlive();
    this.#check(batch, false);
    return tf.tidy(() => {
      let out = this.model.apply(this.#input(batch), { training: false }) as Tensor;
      if (this.#probabilities) out = tf.log(tf.clipByValue(out, 1e-7, 1));
      return out.dataSync() as Float32Array;
    });
  }

  /** Loss and accuracy over `batches`, in inference mode, one batch at a time. */
  evaluate(batches: Iterable<Batch>): EvaluationResult {
    let lossSum = 0;
    let correct = 0;
    let count = 0;
    for (const batch of batches) {
      this.#check(batch, true);
      const sums = softmaxCrossEntropy(this.predictLogits(batch), batch.y, this.numClasses);
      lossSum += sums.lossSum;
      correct += sums.correct;
      count += batch.size;
    }
    return count === 0
      ? { loss: Number.NaN, accuracy: Number.NaN, count: 0 }
      : { loss: lossSum / count, accuracy: correct / count, count };
  }

  /** Frees the model's weights. It cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.model.dispose();
  }

  /** Whether {@link LayersModelClassifier.dispose} was called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  #assertAlive(): void {
    if (this.#disposed) throw new OptionsError("model", this.name, "a model not yet disposed");
  }

  #check(batch: Batch, labels: boolean): void {
    assertBatch(
      batch,
      { model: this.name, inputShape: this.inputShape, numClasses: this.numClasses },
      labels,
    );
  }

  #input(batch: Batch): Tensor {
    return tf.tensor(batch.x, [batch.size, ...this.inputShape], "float32");
  }

  /**
   * The batch's mean cross-entropy and the trainable weights' gradients, inside the caller's
   * tidy. The loss and its gradient at the logits are computed in float64 from the logits read
   * back (as {@link SequentialClassifier} does): a few hundred numbers, cheaper than the dozen
   * tfjs kernels of `tf.losses.softmaxCrossEntropy` and their gradients. The tape then sees
   * `sum(logits * dLogits)`, whose gradient at the logits is exactly `dLogits`.
   */
  #lossAndGrads(batch: Batch): { loss: number; grads: Tensor[] } {
    const x = this.#input(batch);
    let loss = Number.NaN;
    const { grads } = tf.variableGrads(() => {
      let logits = this.model.apply(x, { training: true }) as Tensor;
      if (this.#probabilities) logits = tf.log(tf.clipByValue(logits, 1e-7, 1));
      const values = logits.dataSync() as Float32Array;
      const dLogits = new Float32Array(values.length);
      const sums = softmaxCrossEntropy(values, batch.y, this.numClasses, dLogits);
      loss = sums.lossSum / batch.size;
      return tf.sum(tf.mul(logits, tf.tensor(dLogits, logits.shape, "float32"))) as Scalar;
    }, this.#trainable);
    return { loss, grads: this.#trainable.map((v) => grads[v.name] as Tensor) };
  }
}
