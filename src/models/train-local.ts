/**
 * {@link trainLocal}: a client's local training in FedAvg: fresh SGD state, some epochs over the
 * client's batches, stoppable between batches.
 *
 * @module
 */
import { AbortError, OptionsError } from "../core/errors.js";
import type { Batch } from "../core/partitioned-dataset.js";
import type { StopEvent } from "../core/stop-event.js";
import { assertNonNegativeInteger } from "../core/validate.js";
import { SgdOptimizer, validateSgdOptions } from "./sgd-optimizer.js";
import type { TrainableModel } from "./trainable-model.js";

/** Options of {@link trainLocal}. */
export interface TrainLocalOptions {
  /** Passes over the data, an integer >= 0. */
  readonly epochs: number;
  /** The learning rate, > 0. */
  readonly lr: number;
  /** SGD momentum in [0, 1). @default 0 */
  readonly momentum?: number;
  /** L2 weight decay, >= 0. @default 0 */
  readonly weightDecay?: number;
  /** Checked before every batch; when set, training stops with an {@link AbortError}. */
  readonly stopEvent?: StopEvent;
}

/** What {@link trainLocal} did. */
export interface TrainLocalResult {
  /** The mean training loss per sample over every step (NaN when no sample was seen). */
  readonly loss: number;
  /** The number of samples trained on, summed over epochs (FedAvg's aggregation weight). */
  readonly samples: number;
  /** The number of SGD steps taken. */
  readonly steps: number;
}

/**
 * Trains `model` in place with a fresh SGD state (no momentum carried over from an earlier
 * client), for `options.epochs` passes; `batchesOf(epoch)` gives each epoch's batches, in the
 * order to train on (shuffle them there, from the client's own Rng).
 *
 * @param model - The model; set its parameters first, read them afterwards.
 * @param batchesOf - Called once per epoch (0-based) for that epoch's batches.
 * @param options - Epochs, SGD settings and an optional stop event.
 * @throws AbortError when `options.stopEvent` is set before a batch; OptionsError on bad options.
 * @example
 * model.setFlatParameters(global);
 * const { loss, samples } = trainLocal(model, (e) => data.getDataloader("train", cid, 32, rngFor(e)), { epochs: 1, lr: 0.01 });
 * model.getFlatParameters(uplinkSlot);
 */
export function trainLocal(
  model: TrainableModel,
  batchesOf: (epoch: number) => Iterable<Batch>,
  options: TrainLocalOptions,
): TrainLocalResult {
  if (options === null || typeof options !== "object")
    throw new OptionsError("options", options, "an object with epochs and lr");
  if (typeof batchesOf !== "function")
    throw new OptionsError("batchesOf", batchesOf, "a function from an epoch to its batches");
  assertNonNegativeInteger("epochs", options.epochs);
  const sgd = validateSgdOptions(options);
  const stopEvent = options.stopEvent;
  if (stopEvent !== undefined && typeof stopEvent?.isSet !== "function")
    throw new OptionsError("stopEvent", stopEvent, "a StopEvent (with isSet())");
  const optimizer = new SgdOptimizer(sgd);
  let lossSum = 0;
  let samples = 0;
  let steps = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++)
      for (const batch of batchesOf(epoch)) {
        if (stopEvent?.isSet())
          throw new AbortError("Local training was stopped by the stop event");
        lossSum += model.trainStep(batch, optimizer) * batch.size;
        samples += batch.size;
        steps++;
      }
  } finally {
    optimizer.dispose();
  }
  return { loss: samples === 0 ? Number.NaN : lossSum / samples, samples, steps };
}
