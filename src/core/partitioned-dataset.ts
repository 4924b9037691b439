/**
 * The data contract of a federated simulation: one dataset per client and one for the server.
 * Core names only the shapes it needs, so that it imports nothing from the layers above it
 * (src/data implements them: `FilteredDataset`, the federated datasets).
 * @module
 */

/** What the contract needs of a seeded generator: a permutation (src/reproducibility's `Rng`). */
export interface PermutationSource {
  /** A permutation of `0 .. n - 1`. */
  permutation(n: number): Int32Array;
}

/** One sample of a {@link ClientDataset}. */
export interface Sample<X, Y> {
  /** The input, after the dataset's transform. */
  readonly x: X;
  /** The target, or `undefined` when the dataset has none. */
  readonly y: Y | undefined;
}

/** One client's (or the server's) dataset: samples read by position, without copying the data. */
export interface ClientDataset<X, Y> extends Iterable<Sample<X, Y>> {
  /** The number of samples. */
  readonly length: number;
  /** The sample at position `i`. */
  get(i: number): Sample<X, Y>;
  /** The raw target at position `i`, without the input (cheap label statistics). */
  targetAt(i: number): Y | undefined;
}

/** One mini-batch, laid out for a training step. */
export interface Batch {
  /** The features of all samples, row-major: `size * product(sampleShape)` values. */
  readonly x: Float32Array;
  /** The class labels, one per sample. */
  readonly y: Int32Array;
  /** The number of samples. */
  readonly size: number;
  /** The shape of one sample, e.g. `[28, 28, 1]` or `[60]`. */
  readonly sampleShape: readonly number[];
}

/**
 * Data partitioned across clients (BlazeFL's `PartitionedDataset`). A `cid` of `undefined` means
 * the server's split (for example the global test set).
 *
 * @typeParam PartitionType - The split names, e.g. `"train" | "test"`.
 */
export interface PartitionedDataset<PartitionType extends string> {
  /** The number of clients the data is partitioned across. */
  readonly numClients: number;
  /** The dataset of client `cid` in split `type`. */
  getDataset(type: PartitionType, cid: number | undefined): ClientDataset<Float32Array, number>;
  /** Replaces the dataset of client `cid` in split `type`. */
  setDataset(
    type: PartitionType,
    cid: number | undefined,
    dataset: ClientDataset<Float32Array, number>,
  ): void;
  /**
   * The batches of client `cid` in split `type`, shuffled by `rng` (in index order without one),
   * so that a shuffle is a pure function of its seed.
   */
  getDataloader(
    type: PartitionType,
    cid: number | undefined,
    batchSize: number,
    rng: PermutationSource | undefined,
  ): Iterable<Batch>;
}
