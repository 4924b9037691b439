/**
 * {@link TrainableModel}: what a client trainer needs from a model. {@link SequentialClassifier}
 * and {@link LayersModelClassifier} (any tf.LayersModel) implement it; so can a test double.
 *
 * @module
 */
import type { Batch } from "../core/partitioned-dataset.js";
import type { HasFlatParameters } from "../core/serialize.js";
import type { GradientTerm } from "./gradient-term.js";
import type { EvaluationResult, ParameterInfo } from "./sequential-classifier.js";
import type { SgdOptimizer } from "./sgd-optimizer.js";

/** A classifier that trains one batch at a time and exposes its weights as one flat vector. */
export interface TrainableModel extends HasFlatParameters {
  /** Where each parameter sits in the flat vector (offset, size, shape), in flat order. */
  readonly parameterInfo: readonly ParameterInfo[];
  /**
   * One SGD step on `batch`; returns the batch's mean loss before the update. `term` is added to
   * each trainable parameter's gradient (see {@link GradientTerm}).
   */
  trainStep(batch: Batch, optimizer: SgdOptimizer, term?: GradientTerm): number;
  /** Loss and accuracy over `batches`. */
  evaluate(batches: Iterable<Batch>): EvaluationResult;
  /** Frees the model's tensors; it cannot be used afterwards. */
  dispose(): void;
}
