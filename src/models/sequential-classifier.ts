/**
 * {@link SequentialClassifier}: a stack of {@link Layer}s ending in class logits, trained with
 * softmax cross-entropy and SGD through hand-written backward passes. The MLP, the CNN and
 * logistic regression are all instances.
 *
 * @module
 */

import type { Tensor, Variable } from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import type { Batch } from "../core/partitioned-dataset.js";
import { assertPositiveInteger } from "../core/validate.js";
import { tf } from "../engine/tfjs.js";
import type { Rng } from "../reproducibility/rng.js";
import { assertBatch } from "./check-batch.js";
import { readFlatParameters, writeFlatParameters } from "./flat-parameters.js";
import type { GradientTerm } from "./gradient-term.js";
import type { Layer } from "./layers/layer.js";
import type { SgdOptimizer } from "./sgd-optimizer.js";
import { softmaxCrossEntropy } from "./softmax-cross-entropy.js";
import type { TrainableModel } from "./trainable-model.js";

/** Where one parameter tensor lives in the flat vector (for `model.json`). */
export interface ParameterInfo {
  /** `<layer>.<parameter>`, e.g. `"conv1.weight"`. */
  readonly name: string;
  /** The layer's name. */
  readonly layer: string;
  /** The tensor's shape (dense `[out, in]`, conv `[kh, kw, in, out]`). */
  readonly shape: readonly number[];
  /** Its first index in the flat vector. */
  readonly offset: number;
  /** Its number of values. */
  readonly size: number;
}

/** Loss and accuracy over some batches. */
export interface EvaluationResult {
  /** The mean cross-entropy per sample (NaN when `count` is 0). */
  readonly loss: number;
  /** The fraction of samples classified correctly (NaN when `count` is 0). */
  readonly accuracy: number;
  /** The number of samples evaluated. */
  readonly count: number;
}

/** A loss and the flat gradient of the parameters, from {@link SequentialClassifier.computeGradients}. */
export interface LossAndGradients {
  /** The batch's mean loss. */
  readonly loss: number;
  /** The gradient of the mean loss, in the flat-parameter order. */
  readonly gradients: Float32Array;
}

/** What a {@link SequentialClassifier} is made of. */
export interface SequentialClassifierSpec {
  /** The model's name, e.g. `"mlp"`. */
  readonly name: string;
  /** The shape of one input sample, e.g. `[28, 28, 1]` (row-major, channels last). */
  readonly inputShape: readonly number[];
  /** The number of classes: the last layer's output size. */
  readonly numClasses: number;
  /** The layers, in order; each one's input is the previous one's output. */
  readonly layers: readonly Layer[];
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * A sequential classifier. Its parameters are tfjs variables on the backend that was current
 * when it was built (call `initEngine` first). One instance can serve many clients in turn:
 * `setFlatParameters`, train with a fresh {@link SgdOptimizer}, `getFlatParameters(out)`.
 *
 * **Flat parameter order:** layer by layer, and within a layer `weight` then `bias`, each
 * row-major in the shape {@link SequentialClassifier.parameterInfo} gives: dense weights
 * `[out, in]` (as in PyTorch), convolution filters `[kh, kw, in, out]` (as in tfjs).
 *
 * **Initialisation:** PyTorch's default for `Linear` and `Conv2d`: every weight and bias drawn
 * from `U(-1/sqrt(fanIn), 1/sqrt(fanIn))`, in flat order, from the given {@link Rng}, so the same
 * seed gives the same weights in any thread or process.
 */
export class SequentialClassifier implements TrainableModel {
  /** The model's name. */
  readonly name: string;
  /** The shape of one input sample. */
  readonly inputShape: readonly number[];
  /** The number of classes. */
  readonly numClasses: number;
  /** The layers, in order. */
  readonly layers: readonly Layer[];
  /** Every parameter tensor, in flat order. */
  readonly parameterInfo: readonly ParameterInfo[];
  /** The total number of float32 parameters. */
  readonly numParameters: number;
  readonly #variables: Variable[];
  /** For each layer, the index of its first variable. */
  readonly #firstVariable: number[];
  /** The index of the first layer with parameters. */
  readonly #firstTrainableLayer: number;
  #disposed = false;

  /**
   * @param spec - The layers and shapes.
   * @param rng - The generator the initial weights are drawn from (advanced by the draws).
   */
  constructor(spec: SequentialClassifierSpec, rng: Rng) {
    this.name = spec.name;
    this.inputShape = Object.freeze([...spec.inputShape]);
    assertPositiveInteger("numClasses", spec.numClasses);
    this.numClasses = spec.numClasses;
    this.layers = Object.freeze([...spec.layers]);
    const last = this.layers.at(-1);
    if (last === undefined) throw new OptionsError("layers", spec.layers, "at least one layer");
    if (last.outputShape.length !== 1 || last.outputShape[0] !== spec.numClasses)
      throw new OptionsError(
        "layers",
        `last output shape [${last.outputShape.join(",")}]`,
        `a last layer with output shape [${spec.numClasses}]`,
      );
    const info: ParameterInfo[] = [];
    const firstVariable: number[] = [];
    let offset = 0;
    for (const layer of this.layers) {
      firstVariable.push(info.length);
      for (const p of layer.parameters) {
        const size = product(p.shape);
        info.push({
          name: `${layer.name}.${p.name}`,
          layer: layer.name,
          shape: p.shape,
          offset,
          size,
        });
        offset += size;
      }
    }
    this.parameterInfo = Object.freeze(info);
    this.#firstVariable = firstVariable;
    this.#firstTrainableLayer = Math.max(
      0,
      this.layers.findIndex((layer) => layer.parameters.length > 0),
    );
    this.numParameters = offset;
    const initial = new Float32Array(offset);
    let k = 0;
    for (const layer of this.layers)
      for (const p of layer.parameters) {
        const bound = 1 / Math.sqrt(p.fanIn);
        const end = k + product(p.shape);
        for (; k < end; k++) initial[k] = (2 * rng.nextFloat() - 1) * bound;
      }
    // tidy frees the initial tensors; the variables (not tracked by tidy) keep their data.
    this.#variables = tf.tidy(() =>
      info.map((p) =>
        tf.variable(tf.tensor(initial.subarray(p.offset, p.offset + p.size), [...p.shape])),
      ),
    );
  }

  /** Copies every parameter, in flat order, into `out` (allocated when omitted) and returns it. */
  getFlatParameters(out?: Float32Array): Float32Array {
    this.#assertAlive();
    return readFlatParameters(this.#variables, this.parameterInfo, this.numParameters, out);
  }

  /** Overwrites every parameter from `flat` (copied: later changes to `flat` do not leak in). */
  setFlatParameters(flat: Float32Array): void {
    this.#assertAlive();
    writeFlatParameters(this.#variables, this.parameterInfo, this.numParameters, flat);
  }

  /**
   * One SGD step on `batch`: forward, softmax cross-entropy, backward, update.
   * @param term - An algorithm's extra gradient term (FedProx, SCAFFOLD), added before weight
   *   decay and momentum.
   * @returns The batch's mean loss (before the update).
   */
  trainStep(batch: Batch, optimizer: SgdOptimizer, term?: GradientTerm): number {
    this.#assertAlive();
    return tf.tidy(() => {
      const { loss, grads } = this.#lossAndGrads(batch);
      optimizer.apply(this.#variables, grads, term);
      return loss;
    });
  }

  /** The mean loss of `batch` and its gradient, flat, without changing the parameters. */
  computeGradients(batch: Batch, out?: Float32Array): LossAndGradients {
    this.#assertAlive();
    const gradients = out ?? new Float32Array(this.numParameters);
    if (gradients.length !== this.numParameters)
      throw new OptionsError("out.length", gradients.length, `${this.numParameters}`);
    const loss = tf.tidy(() => {
      const r = this.#lossAndGrads(batch);
      for (const [i, p] of this.parameterInfo.entries())
        gradients.set(r.grads[i]?.dataSync() as Float32Array, p.offset);
      return r.loss;
    });
    return { loss, gradients };
  }

  /** The logits of `batch`, `size * numClasses` values, row-major. */
  predictLogits(batch: Batch): Float32Array {
    this.#assertAlive();
    this.#checkBatch(batch, false);
    return tf.tidy(() => {
      let h = this.#input(batch);
      for (const [l, layer] of this.layers.entries()) h = layer.forward(h, this.#paramsOf(l));
      return h.dataSync() as Float32Array;
    });
  }

  /** Loss and accuracy over `batches`, evaluated one batch at a time. */
  evaluate(batches: Iterable<Batch>): EvaluationResult {
    let lossSum = 0;
    let correct = 0;
    let count = 0;
    for (const batch of batches) {
      this.#checkBatch(batch, true);
      const logits = this.predictLogits(batch);
      const sums = softmaxCrossEntropy(logits, batch.y, this.numClasses);
      lossSum += sums.lossSum;
      correct += sums.correct;
      count += batch.size;
    }
    return count === 0
      ? { loss: Number.NaN, accuracy: Number.NaN, count: 0 }
      : { loss: lossSum / count, accuracy: correct / count, count };
  }

  /** Frees the parameters. The model cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.#variables) v.dispose();
  }

  /** Whether {@link SequentialClassifier.dispose} was called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  #assertAlive(): void {
    if (this.#disposed) throw new OptionsError("model", this.name, "a model not yet disposed");
  }

  #paramsOf(layer: number): Variable[] {
    const first = this.#firstVariable[layer] as number;
    const n = (this.layers[layer] as Layer).parameters.length;
    return this.#variables.slice(first, first + n);
  }

  #checkBatch(batch: Batch, labels: boolean): void {
    assertBatch(
      batch,
      { model: this.name, inputShape: this.inputShape, numClasses: this.numClasses },
      labels,
    );
  }

  #input(batch: Batch): Tensor {
    return tf.tensor(batch.x, [batch.size, ...this.inputShape], "float32");
  }

  /** Forward and backward inside the caller's tidy. */
  #lossAndGrads(batch: Batch): { loss: number; grads: Tensor[] } {
    this.#checkBatch(batch, true);
    const acts: Tensor[] = [this.#input(batch)];
    for (const [l, layer] of this.layers.entries())
      acts.push(layer.forward(acts[l] as Tensor, this.#paramsOf(l)));
    const logits = (acts.at(-1) as Tensor).dataSync() as Float32Array;
    const dlogits = new Float32Array(logits.length);
    const { lossSum } = softmaxCrossEntropy(logits, batch.y, this.numClasses, dlogits);
    const grads: Tensor[] = new Array(this.#variables.length);
    let dy: Tensor = tf.tensor(dlogits, [batch.size, this.numClasses], "float32");
    // Below the first layer with parameters no gradient is needed (a leading flatten, say).
    const lowest = this.#firstTrainableLayer;
    for (let l = this.layers.length - 1; l >= lowest; l--) {
      const layer = this.layers[l] as Layer;
      const needDx = l > lowest;
      const r = layer.backward(
        dy,
        acts[l] as Tensor,
        acts[l + 1] as Tensor,
        this.#paramsOf(l),
        needDx,
      );
      const offset = this.#firstVariable[l] as number;
      for (const [j, g] of r.grads.entries()) grads[offset + j] = g;
      if (needDx) {
        if (r.dx === undefined)
          throw new OptionsError("layer", layer.name, "a layer that returns dx");
        dy = r.dx;
      }
    }
    return { loss: lossSum / batch.size, grads };
  }
}
