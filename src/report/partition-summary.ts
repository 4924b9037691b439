/**
 * {@link PartitionSummary}: what the report draws of a partition (the client sizes and a
 * clients x classes table of label counts), recomputed from a run's options through the data
 * layer, so the figure shows exactly the partition the run trained on.
 * @module
 */
import type { ClassificationSplit } from "../data/federated/classification-split.js";
import type { FederatedClassificationDataset } from "../data/federated/federated-classification-dataset.js";
import type { FederatedDatasetSpec } from "../data/federated/federated-dataset-spec.js";
import { loadFederatedDataset } from "../data/federated/load-federated-dataset.js";

/** The most clients a heatmap shows; more are sampled evenly by client id. */
export const HEATMAP_MAX_CLIENTS = 100;

/** A partition, reduced to what its figures draw. */
export interface PartitionSummary {
  /** Says which partition it is, e.g. `fashion-mnist, dirichlet:0.5, 100 clients, seed 42`. */
  readonly title: string;
  /** The split that was counted. */
  readonly split: ClassificationSplit;
  /** The number of clients. */
  readonly numClients: number;
  /** The number of classes. */
  readonly numClasses: number;
  /** `sizes[cid]`: the number of samples client cid holds, for every client. */
  readonly sizes: readonly number[];
  /** The client ids the heatmap shows (all of them up to {@link HEATMAP_MAX_CLIENTS}). */
  readonly heatmapClients: readonly number[];
  /** `counts[i][c]`: samples of class c held by client `heatmapClients[i]`. */
  readonly counts: readonly (readonly number[])[];
}

/**
 * `max` client ids spread evenly over `[0, numClients)` (all of them when there are no more):
 * a sample without a random draw, so a report of the same run always shows the same clients.
 */
export function evenlySpacedClients(numClients: number, max: number): number[] {
  if (numClients <= max) return Array.from({ length: numClients }, (_, cid) => cid);
  return Array.from({ length: max }, (_, i) => Math.floor((i * numClients) / max));
}

/**
 * Summarises a loaded federated dataset's partition. Label counts are taken only for the
 * heatmap's clients, so a 10,000-client LEAF Synthetic partition generates 100 clients, not all.
 * @param title - The summary's title.
 */
export function summarizePartition(
  dataset: FederatedClassificationDataset,
  title: string,
  split: ClassificationSplit = "train",
  maxClients = HEATMAP_MAX_CLIENTS,
): PartitionSummary {
  const sizes = Array.from({ length: dataset.numClients }, (_, cid) => dataset.size(split, cid));
  const heatmapClients = evenlySpacedClients(dataset.numClients, maxClients);
  return {
    title,
    split,
    numClients: dataset.numClients,
    numClasses: dataset.numClasses,
    sizes,
    heatmapClients,
    counts: heatmapClients.map((cid) => dataset.labelCounts(split, cid)),
  };
}

/**
 * The federated dataset a run's `config.json` trained on, or undefined when the config does not
 * name one (only its dataset, clients, partition, seed and LEAF Synthetic's alpha and beta
 * decide the partition; `loadFederatedDataset` validates them).
 */
export function datasetSpecFromConfig(
  config: Readonly<Record<string, unknown>>,
): FederatedDatasetSpec | undefined {
  const { dataset, clients, partition, seed, dataDir } = config;
  if (typeof dataset !== "string" || typeof clients !== "number") return undefined;
  const part =
    typeof partition === "string" ? partition : dataset === "synthetic" ? "natural" : "iid";
  const spec = {
    dataset,
    numClients: clients,
    partition: part,
    seed: typeof seed === "number" ? seed : 42,
    // As `blazefl run` loads images, so a report written inside a run reuses its loaded dataset
    // (label counts do not depend on the scaling).
    ...(dataset === "synthetic" ? {} : { normalize: "mean-std" }),
    ...(typeof dataDir === "string" ? { dataDir } : {}),
    ...(dataset === "synthetic"
      ? {
          synthetic: {
            alpha: typeof config.syntheticAlpha === "number" ? config.syntheticAlpha : 1,
            beta: typeof config.syntheticBeta === "number" ? config.syntheticBeta : 1,
          },
        }
      : {}),
  };
  return spec as FederatedDatasetSpec;
}

/** The title of a partition's figures. */
export function partitionTitle(spec: FederatedDatasetSpec): string {
  return `${spec.dataset}, ${spec.partition}, ${spec.numClients} clients, seed ${spec.seed}`;
}

const summaries = new Map<string, Promise<PartitionSummary>>();
/** Summaries kept per process: a run rewriting its report every round recomputes none. */
const MAX_SUMMARIES = 8;

/**
 * Recomputes a dataset spec's partition through the data layer and summarises it, once per
 * process for each spec (the summary of a partition never changes).
 * @throws OptionsError / DataError as `loadFederatedDataset` does (e.g. the files are missing).
 */
export function loadPartitionSummary(
  spec: FederatedDatasetSpec,
  split: ClassificationSplit = "train",
): Promise<PartitionSummary> {
  const key = JSON.stringify([spec, split]);
  let pending = summaries.get(key);
  if (pending === undefined) {
    pending = loadFederatedDataset(spec).then((dataset) =>
      summarizePartition(dataset, partitionTitle(spec), split),
    );
    pending.catch(() => summaries.delete(key));
    if (summaries.size >= MAX_SUMMARIES) summaries.delete(summaries.keys().next().value as string);
    summaries.set(key, pending);
  }
  return pending;
}
