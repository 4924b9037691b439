/**
 * {@link loadFederatedDataset}: builds (once per process or thread) the federated dataset a
 * {@link FederatedDatasetSpec} describes.
 *
 * @module
 */
import { Rng } from "../../reproducibility/rng.js";
import { createRngSuite } from "../../reproducibility/rng-suite.js";
import { deriveState } from "../../reproducibility/seed.js";
import { DATASET_INFO, type ImageDatasetName } from "../datasets/catalog.js";
import { loadCifar10 } from "../datasets/cifar10.js";
import { type ImageDatasetSplits, loadIdxDataset } from "../datasets/idx.js";
import { partitionLabels } from "../partition/partition-labels.js";
import { partitionLike } from "../partition/partition-like.js";
import { ClassificationPartitionedDataset } from "./classification-partitioned-dataset.js";
import type { FederatedClassificationDataset } from "./federated-classification-dataset.js";
import {
  type FederatedDatasetSpec,
  federatedDatasetKey,
  type ResolvedFederatedDatasetSpec,
  resolveFederatedDatasetSpec,
} from "./federated-dataset-spec.js";
import { SyntheticPartitionedDataset } from "./synthetic-partitioned-dataset.js";
import { loadTextPartitionedDataset } from "./text-partitioned-dataset.js";

const TEST_PARTITION_DOMAIN = 0x7465_7374; // "test"

const datasets = new Map<string, Promise<FederatedClassificationDataset>>();
const imageSplits = new Map<string, Promise<ImageDatasetSplits>>();

/** Loads an image dataset's files once per process, whatever the partition. */
function loadImages(spec: ResolvedFederatedDatasetSpec): Promise<ImageDatasetSplits> {
  const name = spec.dataset as ImageDatasetName;
  const key = JSON.stringify([name, spec.dataDir ?? null, spec.normalize]);
  let pending = imageSplits.get(key);
  if (pending === undefined) {
    const normalization = spec.normalize === "mean-std" ? DATASET_INFO[name].meanStd : undefined;
    const options = { dir: spec.dataDir, normalization };
    pending = name === "cifar10" ? loadCifar10(options) : loadIdxDataset(name, options);
    pending.catch(() => imageSplits.delete(key));
    imageSplits.set(key, pending);
  }
  return pending;
}

async function build(spec: ResolvedFederatedDatasetSpec): Promise<FederatedClassificationDataset> {
  if (spec.synthetic !== undefined) {
    const syn = spec.synthetic;
    return new SyntheticPartitionedDataset({
      numClients: spec.numClients,
      seed: spec.seed,
      alpha: syn.alpha,
      beta: syn.beta,
      iid: syn.iid,
      maxClientSize: syn.maxClientSize,
      serverTestClients: syn.serverTestClients,
      cacheClients: syn.cacheClients,
    });
  }
  if (spec.dataset === "text") return loadTextPartitionedDataset(spec);
  const { train, test } = await loadImages(spec);
  const options = { minSize: spec.minClientSize, numClasses: train.numClasses };
  const trainPartition = partitionLabels(
    train.labels,
    spec.numClients,
    createRngSuite(spec.seed).partition,
    spec.partition,
    options,
  );
  return new ClassificationPartitionedDataset({
    name: spec.dataset,
    train,
    test,
    trainPartition,
    // A client's own test split follows its training label distribution (see partitionLike),
    // from an independent stream; made only when first asked for.
    testPartition: () =>
      partitionLike(
        test.labels,
        train.labels,
        trainPartition,
        Rng.fromWords(deriveState([TEST_PARTITION_DOMAIN, spec.seed])),
        train.numClasses,
      ),
  });
}

/**
 * The federated dataset `spec` describes, built once per process (or worker thread) and shared
 * by every later call with an equal spec: image files are read once, whatever the partition,
 * and partitions are a pure function of the spec, so every worker gets the same one.
 *
 * - `synthetic`: a {@link SyntheticPartitionedDataset} (LEAF Synthetic, generated lazily);
 * - `fashion-mnist`, `mnist`, `cifar10`: a {@link ClassificationPartitionedDataset}: the
 *   training set partitioned with the partition stream of `createRngSuite(seed)`; the server's
 *   test split is the whole test set; a client's own test split is a share of the test set
 *   whose labels follow its training labels ({@link partitionLike}), made on first use.
 *
 * - `text`: next-character prediction on the corpus in `dataDir` (see
 *   {@link loadTextPartitionedDataset}).
 *
 * Features are float32 (`pixel / 255` for images unless `normalize: "mean-std"`; character
 * indices for text).
 * @throws OptionsError on a bad spec; DataError when files are missing or corrupt or the
 *   partition cannot be made. A failed load is not cached.
 */
export function loadFederatedDataset(
  spec: FederatedDatasetSpec,
): Promise<FederatedClassificationDataset> {
  let resolved: ResolvedFederatedDatasetSpec;
  try {
    resolved = resolveFederatedDatasetSpec(spec);
  } catch (error) {
    return Promise.reject(error);
  }
  const key = federatedDatasetKey(resolved);
  let pending = datasets.get(key);
  if (pending === undefined) {
    pending = build(resolved);
    pending.catch(() => datasets.delete(key));
    datasets.set(key, pending);
  }
  return pending;
}

/** Forgets every memoised dataset and image file in this process (tests, memory pressure). */
export function clearFederatedDatasetCache(): void {
  datasets.clear();
  imageSplits.clear();
}
