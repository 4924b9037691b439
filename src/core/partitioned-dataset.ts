/**
 * The data contract of a federated simulation: one dataset per client and one for the server.
 *
 * @module
 */
import type { FilteredDataset } from "./filtered-dataset.js";

/**
 * What the data contract needs of a seeded generator: a permutation. src/reproducibility's
 * `Rng` is one; core names only this, so that it imports nothing from the layers above it.
 */
export interface PermutationSource {
  /** A permutation of `0 .. n - 1`. */
  permutation(n: number): Int32Array;
}

/**
 * One mini-batch, laid out for a training step: `x` holds `size` samples of
 * `sampleShape` float32 features each, row-major; `y` holds their class labels.
 */
export interface Batch {
  /** Features, `size * product(sampleShape)` values. */
  readonly x: Float32Array;
  /** Class labels, one per sample. */
  readonly y: Int32Array;
  /** The number of samples in the batch. */
  readonly size: number;
  /** The shape of one sample, e.g. `[28, 28, 1]` or `[60]`. */
  readonly sampleShape: readonly number[];
}

/**
 * Data partitioned across clients (BlazeFL's `PartitionedDataset`).
 * A `cid` of `undefined` means the server's split (for example the global test set).
 *
 * @typeParam PartitionType - The split names, e.g. `"train" | "test"`.
 */
export interface PartitionedDataset<PartitionType extends string> {
  /** The number of clients the data is partitioned across. */
  readonly numClients: number;
  /** The dataset of client `cid` (or the server's, for `undefined`) in split `type`. */
  getDataset(type: PartitionType, cid: number | undefined): FilteredDataset<Float32Array, number>;
  /** Replaces the dataset of client `cid` (or the server's) in split `type`. */
  setDataset(
    type: PartitionType,
    cid: number | undefined,
    dataset: FilteredDataset<Float32Array, number>,
  ): void;
  /**
   * The batches of client `cid` (or the server's) in split `type`, in an order shuffled by `rng`
   * (or in index order when `rng` is undefined).
   */
  getDataloader(
    type: PartitionType,
    cid: number | undefined,
    batchSize: number,
    rng: PermutationSource | undefined,
  ): Iterable<Batch>;
}
