/**
 * {@link partitionLabels}: runs the partitioner a {@link PartitionSpec} names.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { Rng } from "../../reproducibility/rng.js";
import { dirichletPartition } from "./dirichlet.js";
import { iidPartition } from "./iid.js";
import type { LabelArray } from "./labels.js";
import type { PartitionSpec } from "./partition-spec.js";
import { pathologicalPartition } from "./pathological.js";
import { quantitySkewPartition } from "./quantity-skew.js";
import { shardsPartition } from "./shards.js";

/** Options shared by the partitioners that take them. */
export interface PartitionLabelsOptions {
  /** The smallest client size for Dirichlet and quantity skew. @default 10 */
  readonly minSize?: number;
  /** The most redraws for Dirichlet and quantity skew. @default 1000 */
  readonly maxRetries?: number;
  /** The number of classes; inferred from the labels when omitted. */
  readonly numClasses?: number;
}

/**
 * Partitions `labels` among `numClients` clients by `spec`.
 * @returns One ascending Int32Array of sample indices per client.
 * @throws OptionsError for `natural` (only a dataset with its own split has one) and for bad
 *   parameters; DataError when a constraint cannot be met.
 */
export function partitionLabels(
  labels: LabelArray,
  numClients: number,
  rng: Rng,
  spec: PartitionSpec,
  options: PartitionLabelsOptions = {},
): Int32Array[] {
  const extra = {
    ...(options.minSize !== undefined ? { minSize: options.minSize } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
  };
  const classes = options.numClasses !== undefined ? { numClasses: options.numClasses } : {};
  switch (spec.kind) {
    case "iid":
      return iidPartition(labels, numClients, rng);
    case "dirichlet":
      return dirichletPartition(labels, numClients, rng, {
        alpha: spec.alpha,
        ...extra,
        ...classes,
      });
    case "shards":
      return shardsPartition(labels, numClients, rng, { shardsPerClient: spec.shardsPerClient });
    case "pathological":
      return pathologicalPartition(labels, numClients, rng, {
        classesPerClient: spec.classesPerClient,
        ...classes,
      });
    case "quantity":
      return quantitySkewPartition(labels, numClients, rng, {
        method: "dirichlet",
        alpha: spec.alpha,
        ...extra,
      });
    case "powerlaw":
      return quantitySkewPartition(labels, numClients, rng, {
        method: "power-law",
        exponent: spec.exponent,
        ...(options.minSize !== undefined ? { minSize: options.minSize } : {}),
      });
    case "natural":
      throw new OptionsError(
        "partition",
        "natural",
        "a partition scheme other than natural: only a dataset with its own per-client split (synthetic) has one",
      );
    default:
      throw new OptionsError("partition", spec, "a PartitionSpec");
  }
}
