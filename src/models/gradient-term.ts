/**
 * {@link GradientTerm}: how an algorithm adds its own term to every gradient of a local SGD step
 * without writing its own training loop (FedProx's μ(w − x), SCAFFOLD's c − c_k, FedDyn's
 * −g_k + α(w − x)).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * Returns the tensor to add to the gradient of parameter `index` (an index into the model's
 * `parameterInfo`, the flat-parameter order), given its current value `weight`; `undefined`
 * adds nothing. Called inside the optimizer's `tf.tidy`, before weight decay and momentum, so
 * the term behaves exactly as if it were part of the loss. The returned tensor must have the
 * parameter's shape; temporaries are freed by the caller's tidy.
 */
export type GradientTerm = (index: number, weight: tf.Variable) => tf.Tensor | undefined;
