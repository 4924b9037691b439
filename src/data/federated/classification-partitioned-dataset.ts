/**
 * {@link ClassificationPartitionedDataset}: a train and a test store, partitioned by index lists.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { DatasetName } from "../datasets/catalog.js";
import { DataError } from "../errors.js";
import type { ClassificationStore } from "../store/classification-store.js";
import type { ClassificationSplit } from "./classification-split.js";
import {
  type ClassificationSubset,
  FederatedClassificationDataset,
} from "./federated-classification-dataset.js";

/** Options of {@link ClassificationPartitionedDataset}. */
export interface ClassificationPartitionedDatasetOptions {
  /** The dataset's name. */
  readonly name: DatasetName;
  /** The training samples. */
  readonly train: ClassificationStore;
  /** The test samples; the server's test split is all of them. */
  readonly test: ClassificationStore;
  /** One index list into `train` per client; its length is the number of clients. */
  readonly trainPartition: readonly Int32Array[];
  /**
   * One index list into `test` per client, or a function that makes them on first use; omit it
   * when clients have no test split of their own.
   */
  readonly testPartition?: readonly Int32Array[] | (() => readonly Int32Array[]) | undefined;
}

function checkPartition(
  option: string,
  partition: readonly Int32Array[],
  store: ClassificationStore,
  numClients: number,
): void {
  if (!Array.isArray(partition) || partition.length !== numClients)
    throw new OptionsError(option, partition, `an array of ${numClients} Int32Array index lists`);
  for (const [cid, indices] of partition.entries()) {
    if (!(indices instanceof Int32Array))
      throw new OptionsError(`${option}[${cid}]`, indices, "an Int32Array of sample indices");
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i] as number;
      if (j < 0 || j >= store.length)
        throw new OptionsError(`${option}[${cid}][${i}]`, j, `an index in [0, ${store.length})`);
    }
  }
}

/**
 * A classification dataset held once per worker in two stores (train and test) and partitioned
 * across clients by index lists: clients index into the stores, nothing is copied per client.
 * - `("train", cid)`: the client's partition of the training set;
 * - `("test", cid)`: the client's partition of the test set, when one was given;
 * - `("test", undefined)`: the whole test set (the server's global test set);
 * - `("train", undefined)`: the whole training set (centralised training).
 */
export class ClassificationPartitionedDataset extends FederatedClassificationDataset {
  /** The training samples. */
  readonly train: ClassificationStore;
  /** The test samples. */
  readonly test: ClassificationStore;
  readonly #trainPartition: readonly Int32Array[];
  #testPartition: readonly Int32Array[] | (() => readonly Int32Array[]) | undefined;
  #all: { train?: Int32Array; test?: Int32Array } = {};

  /** @param options - The stores and the partitions. */
  constructor(options: ClassificationPartitionedDatasetOptions) {
    const { train, test, trainPartition } = options;
    if (!Array.isArray(trainPartition) || trainPartition.length === 0)
      throw new OptionsError("trainPartition", trainPartition, "a non-empty array of index lists");
    if (train.sampleSize !== test.sampleSize || train.numClasses !== test.numClasses)
      throw new OptionsError(
        "test",
        test,
        "a store with the training store's sample shape and classes",
      );
    super({
      name: options.name,
      numClients: trainPartition.length,
      sampleShape: train.sampleShape,
      numClasses: train.numClasses,
    });
    checkPartition("trainPartition", trainPartition, train, this.numClients);
    if (Array.isArray(options.testPartition))
      checkPartition("testPartition", options.testPartition, test, this.numClients);
    this.train = train;
    this.test = test;
    this.#trainPartition = trainPartition;
    this.#testPartition = options.testPartition;
  }

  #allIndices(type: ClassificationSplit): Int32Array {
    let all = this.#all[type];
    if (all === undefined) {
      const store = type === "train" ? this.train : this.test;
      all = new Int32Array(store.length);
      for (let i = 0; i < all.length; i++) all[i] = i;
      this.#all[type] = all;
    }
    return all;
  }

  #clientTestPartition(): readonly Int32Array[] {
    const source = this.#testPartition;
    if (source === undefined)
      throw new DataError(
        `${this.name}: clients have no test split of their own here; evaluate on the server's test split (cid undefined)`,
      );
    if (typeof source === "function") {
      const made = source();
      checkPartition("testPartition", made, this.test, this.numClients);
      this.#testPartition = made;
      return made;
    }
    return source;
  }

  /** @inheritdoc */
  protected subset(type: ClassificationSplit, cid: number | undefined): ClassificationSubset {
    if (cid === undefined)
      return { store: type === "train" ? this.train : this.test, indices: this.#allIndices(type) };
    if (type === "train")
      return { store: this.train, indices: this.#trainPartition[cid] as Int32Array };
    return { store: this.test, indices: this.#clientTestPartition()[cid] as Int32Array };
  }
}
