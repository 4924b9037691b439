/**
 * The datasets BlazeFL.ts knows, their shapes and where their files live by default.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { OptionsError } from "../../core/errors.js";
import type { Normalization } from "../store/image-store.js";

/** The image datasets read from files. */
export const IMAGE_DATASET_NAMES = ["fashion-mnist", "mnist", "cifar10"] as const;
/** The name of an image dataset read from files. */
export type ImageDatasetName = (typeof IMAGE_DATASET_NAMES)[number];
/**
 * Every dataset name; `synthetic` (LEAF Synthetic) is embedded and needs no files; `text` is
 * next-character prediction on a plain-text corpus in `--data-dir` (see `loadTextDataset`).
 */
export const DATASET_NAMES = ["synthetic", ...IMAGE_DATASET_NAMES, "text"] as const;
/** The name of a dataset. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** What a model needs to know about a dataset. */
export interface DatasetInfo {
  /** The dataset's name. */
  readonly name: DatasetName;
  /**
   * The shape of one sample's features: `[60]`, `[28, 28, 1]`, `[32, 32, 3]` (channels-last) or
   * `[80]` (text: character indices).
   */
  readonly sampleShape: readonly number[];
  /** The number of classes. */
  readonly numClasses: number;
  /** The official training-set size, when fixed. */
  readonly trainSize?: number;
  /** The official test-set size, when fixed. */
  readonly testSize?: number;
  /**
   * The usual per-channel mean/std (on the [0, 1] scale), for `normalize: "mean-std"`;
   * absent for synthetic data.
   */
  readonly meanStd?: Normalization;
}

/** The known datasets. */
export const DATASET_INFO: Readonly<Record<DatasetName, DatasetInfo>> = {
  synthetic: { name: "synthetic", sampleShape: [60], numClasses: 10 },
  "fashion-mnist": {
    name: "fashion-mnist",
    sampleShape: [28, 28, 1],
    numClasses: 10,
    trainSize: 60_000,
    testSize: 10_000,
    meanStd: { mean: [0.286], std: [0.353] },
  },
  mnist: {
    name: "mnist",
    sampleShape: [28, 28, 1],
    numClasses: 10,
    trainSize: 60_000,
    testSize: 10_000,
    meanStd: { mean: [0.1307], std: [0.3081] },
  },
  cifar10: {
    name: "cifar10",
    sampleShape: [32, 32, 3],
    numClasses: 10,
    trainSize: 50_000,
    testSize: 10_000,
    meanStd: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  },
  text: { name: "text", sampleShape: [80], numClasses: 80 },
};

/**
 * The {@link DatasetInfo} of `name`.
 * @param option - The option name used in the error, e.g. `--dataset`.
 * @throws OptionsError when `name` is not a known dataset.
 */
export function datasetInfo(name: unknown, option = "dataset"): DatasetInfo {
  if (typeof name !== "string" || !(DATASET_NAMES as readonly string[]).includes(name))
    throw new OptionsError(option, name, `one of ${DATASET_NAMES.join(", ")}`);
  return DATASET_INFO[name as DatasetName];
}

/** Asserts that `name` is an image dataset name. */
export function assertImageDatasetName(
  name: unknown,
  option = "dataset",
): asserts name is ImageDatasetName {
  if (typeof name !== "string" || !(IMAGE_DATASET_NAMES as readonly string[]).includes(name))
    throw new OptionsError(option, name, `one of ${IMAGE_DATASET_NAMES.join(", ")}`);
}

/** Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST. */
export const FASHION_MNIST_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * The per-user cache directory of a dataset, where `blazefl data fetch` writes by default:
 * `$BLAZEFL_DATA_DIR/<name>` when that variable is set, else
 * `${XDG_CACHE_HOME:-~/.cache}/blazefl/datasets/<name>`.
 */
export function datasetCacheDir(
  name: ImageDatasetName,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (env.BLAZEFL_DATA_DIR) return join(env.BLAZEFL_DATA_DIR, name);
  const cache = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "blazefl", "datasets", name);
}

/**
 * The directories searched, in order, when no data directory is given: for Fashion-MNIST the
 * system directory ({@link FASHION_MNIST_SYSTEM_DIR}) and then the cache; otherwise the cache.
 */
export function defaultDataDirs(name: ImageDatasetName): string[] {
  const cache = datasetCacheDir(name);
  return name === "fashion-mnist" ? [FASHION_MNIST_SYSTEM_DIR, cache] : [cache];
}

/**
 * The first of {@link defaultDataDirs} that contains `probe` (a file name; `.gz` is also
 * tried), or the last candidate when none does (so that errors name the cache directory).
 */
export function resolveDefaultDataDir(name: ImageDatasetName, probe: string): string {
  const dirs = defaultDataDirs(name);
  for (const dir of dirs)
    if (existsSync(join(dir, probe)) || existsSync(join(dir, `${probe}.gz`))) return dir;
  return dirs[dirs.length - 1] as string;
}
