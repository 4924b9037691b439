/**
 * One entry point for every `--aggregator`: what the server handler calls once it holds the
 * round's client models (or updates), in client-id order.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { AggregatorSpec } from "./aggregator-spec.js";
import { formatAggregator } from "./aggregator-spec.js";
import { assertBulyanFits, bulyan } from "./bulyan.js";
import { coordinateMedian } from "./coordinate-median.js";
import { krum, multiKrum } from "./krum.js";
import { trimmedMean } from "./trimmed-mean.js";
import { assertUpdateSet, assertWeights, weightedMeanOf } from "./update-set.js";

/** Whether `spec` needs all the round's updates in memory at once (all but `mean`). */
export function needsAllUpdates(spec: AggregatorSpec): boolean {
  return spec.kind !== "mean";
}

/**
 * Asserts that `spec` can aggregate `numUpdates` updates per round, so a run fails at start-up,
 * not in round 1: Bulyan needs 4f + 3, MultiKrum needs m.
 * @throws OptionsError naming `option`.
 */
export function assertAggregatorFits(
  spec: AggregatorSpec,
  numUpdates: number,
  option = "--aggregator",
): void {
  if (spec.kind === "bulyan") assertBulyanFits(numUpdates, spec.f, option);
  if (spec.kind === "multi-krum" && spec.m > numUpdates)
    throw new OptionsError(
      option,
      formatAggregator(spec),
      `an M of at most the ${numUpdates} updates per round`,
    );
}

/**
 * Aggregates the round's updates with `spec`. Only `mean` and `multi-krum` use the weights;
 * the others are unweighted by definition. `mean` here is the in-memory weighted mean, for
 * callers that hold the updates anyway; a run's default path keeps its streaming mean.
 * @param updates - Client models or updates, in client-id order (ties are broken by it).
 * @param weights - One weight > 0 per update (the example counts).
 */
export function robustAggregate(
  spec: AggregatorSpec,
  updates: readonly Float32Array[],
  weights: readonly number[],
): Float32Array {
  assertUpdateSet(updates);
  assertWeights(weights, updates.length);
  assertAggregatorFits(spec, updates.length);
  switch (spec.kind) {
    case "mean":
      return weightedMeanOf(
        updates,
        weights,
        updates.map((_, k) => k),
      );
    case "median":
      return coordinateMedian(updates);
    case "trimmed-mean":
      return trimmedMean(updates, spec.beta);
    case "krum":
      return krum(updates, spec.f);
    case "multi-krum":
      return multiKrum(updates, weights, spec.f, spec.m);
    case "bulyan":
      return bulyan(updates, spec.f);
  }
}
