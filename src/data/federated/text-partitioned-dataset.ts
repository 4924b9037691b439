/**
 * {@link loadTextPartitionedDataset}: the `text` dataset (next-character prediction on a
 * plain-text corpus, LEAF Shakespeare's task) as a {@link ClassificationPartitionedDataset}.
 *
 * @module
 */
import { Rng } from "../../reproducibility/rng.js";
import { createRngSuite } from "../../reproducibility/rng-suite.js";
import { deriveState } from "../../reproducibility/seed.js";
import { readTextCorpus } from "../datasets/text-corpus.js";
import { buildTextSamples } from "../datasets/text-dataset.js";
import { partitionLabels } from "../partition/partition-labels.js";
import { partitionLike } from "../partition/partition-like.js";
import { ClassificationPartitionedDataset } from "./classification-partitioned-dataset.js";
import type { ResolvedFederatedDatasetSpec } from "./federated-dataset-spec.js";

const TEXT_TEST_DOMAIN = 0x7478_7474; // "txtt"

/**
 * Reads the corpus at `spec.dataDir` (see `readTextCorpus`) and makes its samples (see
 * `buildTextSamples`: 80 characters in, the next one out, 80 classes):
 * - `partition: "natural"`: each client holds whole units (files, or paragraphs of a single
 *   file), contiguous, and its own text's 80/20 split: LEAF's per-speaker clients;
 * - any other partition (`iid`, `dirichlet:ALPHA` on the next character, ...): each unit is
 *   split 80/20, the training windows are partitioned with the partition stream of
 *   `createRngSuite(seed)`, and a client's test split follows its training labels.
 * The server's test split is every test window.
 * @throws OptionsError or DataError as `readTextCorpus` and `buildTextSamples` do.
 */
export async function loadTextPartitionedDataset(
  spec: ResolvedFederatedDatasetSpec,
): Promise<ClassificationPartitionedDataset> {
  const corpus = await readTextCorpus(spec.dataDir as string);
  if (spec.partition.kind === "natural") {
    const samples = buildTextSamples(corpus, spec.numClients);
    return new ClassificationPartitionedDataset({
      name: "text",
      train: samples.train,
      test: samples.test,
      trainPartition: samples.trainGroups,
      testPartition: samples.testGroups,
    });
  }
  const { train, test } = buildTextSamples(corpus);
  const trainLabels = train.labels();
  const trainPartition = partitionLabels(
    trainLabels,
    spec.numClients,
    createRngSuite(spec.seed).partition,
    spec.partition,
    { minSize: spec.minClientSize, numClasses: train.numClasses },
  );
  return new ClassificationPartitionedDataset({
    name: "text",
    train,
    test,
    trainPartition,
    testPartition: () =>
      partitionLike(
        test.labels(),
        trainLabels,
        trainPartition,
        Rng.fromWords(deriveState([TEXT_TEST_DOMAIN, spec.seed])),
        train.numClasses,
      ),
  });
}
