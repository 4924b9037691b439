/**
 * {@link FederatedClassificationDataset}: the shared machinery of the concrete
 * {@link PartitionedDataset}s: batches, views, overrides and label statistics.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { Batch, PartitionedDataset } from "../../core/partitioned-dataset.js";
import { assertPositiveInteger } from "../../core/validate.js";
import type { Rng } from "../../reproducibility/rng.js";
import type { DatasetName } from "../datasets/catalog.js";
import { DataError } from "../errors.js";
import { FilteredDataset, type IndexedSource } from "../filtered-dataset.js";
import type { LabelStatistics } from "../partition/label-statistics.js";
import type { ClassificationStore } from "../store/classification-store.js";
import { assertClassificationSplit, type ClassificationSplit } from "./classification-split.js";

/** Some samples of a store, by index: what one client (or the server) holds in one split. */
export interface ClassificationSubset {
  /** The store the indices refer to. */
  readonly store: ClassificationStore;
  /** The indices of the samples, into `store`. */
  readonly indices: Int32Array;
}

/** Descriptive fields shared by every federated classification dataset. */
export interface FederatedClassificationInfo {
  /** The dataset's name. */
  readonly name: DatasetName;
  /** The number of clients. */
  readonly numClients: number;
  /** The shape of one sample's features, e.g. `[60]` or `[28, 28, 1]`. */
  readonly sampleShape: readonly number[];
  /** The number of classes. */
  readonly numClasses: number;
}

/** The samples of a store as float32 feature vectors, one new array per read. */
function featureSource(store: ClassificationStore): IndexedSource<Float32Array> {
  return {
    length: store.length,
    at(index: number): Float32Array | undefined {
      if (!Number.isInteger(index) || index < 0 || index >= store.length) return undefined;
      const out = new Float32Array(store.sampleSize);
      store.readFeatures(index, out, 0);
      return out;
    },
  };
}

/** The labels of a store. */
function labelSource(store: ClassificationStore): IndexedSource<number> {
  return {
    length: store.length,
    at(index: number): number | undefined {
      if (!Number.isInteger(index) || index < 0 || index >= store.length) return undefined;
      return store.label(index);
    },
  };
}

/**
 * A classification dataset partitioned across clients, with splits `"train"` and `"test"`.
 * Subclasses say which samples (store + indices) each (split, client) holds; this class serves
 * them as {@link FilteredDataset} views and as batches, without copying the store.
 *
 * `cid` undefined means the server: its `"test"` split is the global test set.
 */
export abstract class FederatedClassificationDataset
  implements PartitionedDataset<ClassificationSplit>, FederatedClassificationInfo
{
  /** @inheritdoc */
  readonly name: DatasetName;
  /** @inheritdoc */
  readonly numClients: number;
  /** @inheritdoc */
  readonly sampleShape: readonly number[];
  /** @inheritdoc */
  readonly numClasses: number;
  readonly #overrides = new Map<string, FilteredDataset<Float32Array, number>>();

  /** @param info - The name, clients, sample shape and classes. */
  protected constructor(info: FederatedClassificationInfo) {
    assertPositiveInteger("numClients", info.numClients);
    this.name = info.name;
    this.numClients = info.numClients;
    this.sampleShape = Object.freeze([...info.sampleShape]);
    this.numClasses = info.numClasses;
  }

  /** The samples client `cid` (or the server, for `undefined`) holds in split `type`. */
  protected abstract subset(
    type: ClassificationSplit,
    cid: number | undefined,
  ): ClassificationSubset;

  /** The number of samples of (type, cid) without materialising them; override when cheaper. */
  protected subsetSize(type: ClassificationSplit, cid: number | undefined): number {
    return this.subset(type, cid).indices.length;
  }

  /** The descriptive fields, as plain data. */
  get info(): FederatedClassificationInfo {
    return {
      name: this.name,
      numClients: this.numClients,
      sampleShape: this.sampleShape,
      numClasses: this.numClasses,
    };
  }

  /** Validates a (type, cid) pair and returns its override key. */
  protected checkTarget(type: unknown, cid: unknown): string {
    assertClassificationSplit(type);
    if (
      cid !== undefined &&
      (typeof cid !== "number" || !Number.isInteger(cid) || cid < 0 || cid >= this.numClients)
    )
      throw new OptionsError(
        "cid",
        cid,
        `undefined (the server) or a client id in [0, ${this.numClients})`,
      );
    return `${type}:${cid === undefined ? "server" : cid}`;
  }

  /** The number of samples client `cid` (or the server) holds in split `type`. */
  size(type: ClassificationSplit, cid: number | undefined): number {
    const key = this.checkTarget(type, cid);
    const override = this.#overrides.get(key);
    return override !== undefined ? override.length : this.subsetSize(type, cid);
  }

  /**
   * A view of client `cid`'s (or the server's) samples in split `type`: features as float32
   * (for images `pixel / 255`, see `ImageStore`), labels as numbers. Nothing is copied;
   * each read converts one sample.
   */
  getDataset(
    type: ClassificationSplit,
    cid: number | undefined,
  ): FilteredDataset<Float32Array, number> {
    const key = this.checkTarget(type, cid);
    const override = this.#overrides.get(key);
    if (override !== undefined) return override;
    const { store, indices } = this.subset(type, cid);
    return new FilteredDataset(indices, featureSource(store), labelSource(store));
  }

  /**
   * Replaces what client `cid` (or the server) holds in split `type`, in this process only.
   * Later {@link getDataset}, {@link getDataloader} and {@link labelCounts} calls read it.
   */
  setDataset(
    type: ClassificationSplit,
    cid: number | undefined,
    dataset: FilteredDataset<Float32Array, number>,
  ): void {
    const key = this.checkTarget(type, cid);
    if (!(dataset instanceof FilteredDataset))
      throw new OptionsError("dataset", dataset, "a FilteredDataset");
    this.#overrides.set(key, dataset);
  }

  /**
   * The batches of client `cid` (or the server) in split `type`, `batchSize` samples each (the
   * last may be smaller). With `rng`, the order is a permutation drawn from it when this is
   * called (pass `clientStream(seed, cid, round)` for a shuffle that is a pure function of
   * (seed, cid, round)); without, samples come in index order. The returned iterable replays
   * the same order each time it is iterated. Each batch gets fresh `x` and `y` arrays; features
   * are converted to float32 per batch, so only one batch is ever materialised.
   *
   * @param batches - Only batches `first` to `end - 1` of that sequence (a shard of the test set
   *   that one pool worker evaluates); the others are never built.
   */
  getDataloader(
    type: ClassificationSplit,
    cid: number | undefined,
    batchSize: number,
    rng: Rng | undefined,
    batches?: { readonly first: number; readonly end: number },
  ): Iterable<Batch> {
    const key = this.checkTarget(type, cid);
    assertPositiveInteger("batchSize", batchSize);
    const first = (batches?.first ?? 0) * batchSize;
    const last = batches === undefined ? Number.POSITIVE_INFINITY : batches.end * batchSize;
    const override = this.#overrides.get(key);
    const n = override !== undefined ? override.length : this.subsetSize(type, cid);
    const order = rng === undefined ? undefined : rng.permutation(n);
    const sampleShape = this.sampleShape;
    const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
    if (override !== undefined) {
      return {
        *[Symbol.iterator](): Iterator<Batch> {
          for (let start = first; start < Math.min(n, last); start += batchSize) {
            const size = Math.min(batchSize, n - start);
            const x = new Float32Array(size * sampleSize);
            const y = new Int32Array(size);
            for (let b = 0; b < size; b++) {
              const i = order === undefined ? start + b : (order[start + b] as number);
              const sample = override.get(i);
              if (sample.x.length !== sampleSize)
                throw new DataError(
                  `${key}: sample ${i} has ${sample.x.length} features, expected ${sampleSize}`,
                );
              if (sample.y === undefined) throw new DataError(`${key}: sample ${i} has no label`);
              x.set(sample.x, b * sampleSize);
              y[b] = sample.y;
            }
            yield { x, y, size, sampleShape };
          }
        },
      };
    }
    const { store, indices } = this.subset(type, cid);
    return {
      *[Symbol.iterator](): Iterator<Batch> {
        for (let start = first; start < Math.min(n, last); start += batchSize) {
          const size = Math.min(batchSize, n - start);
          const x = new Float32Array(size * sampleSize);
          const y = new Int32Array(size);
          for (let b = 0; b < size; b++) {
            const position = order === undefined ? start + b : (order[start + b] as number);
            const j = indices[position] as number;
            store.readFeatures(j, x, b * sampleSize);
            y[b] = store.label(j);
          }
          yield { x, y, size, sampleShape };
        }
      },
    };
  }

  /** The number of samples of each class client `cid` (or the server) holds in split `type`. */
  labelCounts(type: ClassificationSplit, cid: number | undefined): number[] {
    const key = this.checkTarget(type, cid);
    const counts = new Array<number>(this.numClasses).fill(0);
    const override = this.#overrides.get(key);
    if (override !== undefined) {
      for (let i = 0; i < override.length; i++) {
        const y = override.targetAt(i);
        if (y === undefined || !Number.isInteger(y) || y < 0 || y >= this.numClasses)
          throw new DataError(
            `${key}: sample ${i} has label ${String(y)}, expected 0..${this.numClasses - 1}`,
          );
        counts[y] = (counts[y] as number) + 1;
      }
      return counts;
    }
    const { store, indices } = this.subset(type, cid);
    for (let i = 0; i < indices.length; i++) {
      const y = store.label(indices[i] as number);
      counts[y] = (counts[y] as number) + 1;
    }
    return counts;
  }

  /**
   * The label statistics of every client in split `type`, as plain data. For lazily generated
   * data (LEAF Synthetic) this generates every client once.
   */
  labelStatistics(type: ClassificationSplit = "train"): LabelStatistics {
    assertClassificationSplit(type);
    const counts: number[][] = [];
    const sizes: number[] = [];
    for (let cid = 0; cid < this.numClients; cid++) {
      const row = this.labelCounts(type, cid);
      counts.push(row);
      sizes.push(row.reduce((a, b) => a + b, 0));
    }
    return { numClasses: this.numClasses, counts, sizes };
  }
}
