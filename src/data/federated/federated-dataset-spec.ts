/**
 * {@link FederatedDatasetSpec}: one serialisable description from which every worker rebuilds
 * the same federated dataset.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertSeed } from "../../reproducibility/seed.js";
import { DATASET_INFO, type DatasetName, datasetInfo } from "../datasets/catalog.js";
import {
  formatPartition,
  type PartitionSpec,
  parsePartition,
} from "../partition/partition-spec.js";

/** LEAF Synthetic's parameters in a {@link FederatedDatasetSpec}. */
export interface SyntheticSpec {
  /** Model heterogeneity (a standard deviation). @default 1 */
  readonly alpha?: number;
  /** Data heterogeneity (a standard deviation). @default 1 */
  readonly beta?: number;
  /**
   * The IID variant (shared W, b and v). When omitted, `partition: "iid"` selects it and
   * `partition: "natural"` does not.
   */
  readonly iid?: boolean;
  /** An optional cap on each client's total size. @default undefined (no cap) */
  readonly maxClientSize?: number;
  /** How many clients' test splits form the server's test set. @default min(numClients, 100) */
  readonly serverTestClients?: number;
  /** How many clients' generated data each process keeps. @default 16 */
  readonly cacheClients?: number;
}

/**
 * Everything needed to rebuild a federated dataset, as plain JSON-safe data: pass it to every
 * worker, which calls {@link loadFederatedDataset} once.
 * @example { dataset: "fashion-mnist", numClients: 100, partition: "dirichlet:0.5", seed: 42 }
 */
export interface FederatedDatasetSpec {
  /** The dataset. */
  readonly dataset: DatasetName;
  /**
   * The directory of an image dataset's files (default: see `defaultDataDirs`); for `text`, the
   * corpus: a directory of `.txt` files or one `.txt` file (required).
   */
  readonly dataDir?: string | undefined;
  /** The number of clients. */
  readonly numClients: number;
  /**
   * How the training set is partitioned: `iid`, `dirichlet:ALPHA`, `shards:K`,
   * `pathological:K`, `quantity:ALPHA`, `powerlaw:EXPONENT`; for `synthetic`, `natural` or
   * `iid` (see {@link SyntheticSpec.iid}); for `text`, also `natural` (whole files or
   * paragraphs per client).
   */
  readonly partition: string;
  /** The seed of the partition (and of synthetic data), an integer in [0, 2^32 - 1]. */
  readonly seed: number;
  /**
   * Feature scaling of image datasets: `"none"` gives `pixel / 255`; `"mean-std"` then
   * subtracts the dataset's usual per-channel mean and divides by its standard deviation.
   * @default "none"
   */
  readonly normalize?: "none" | "mean-std";
  /** The smallest client size for `dirichlet` and `quantity` partitions. @default 10 */
  readonly minClientSize?: number;
  /** LEAF Synthetic's parameters, for `dataset: "synthetic"`. */
  readonly synthetic?: SyntheticSpec;
}

/** A validated {@link FederatedDatasetSpec} with every default filled in. */
export interface ResolvedFederatedDatasetSpec {
  /** The dataset. */
  readonly dataset: DatasetName;
  /** The data directory, or undefined for the default (image datasets only). */
  readonly dataDir: string | undefined;
  /** The number of clients. */
  readonly numClients: number;
  /** The parsed partition. */
  readonly partition: PartitionSpec;
  /** The seed. */
  readonly seed: number;
  /** The feature scaling of image datasets. */
  readonly normalize: "none" | "mean-std";
  /** The smallest client size for `dirichlet` and `quantity`. */
  readonly minClientSize: number;
  /** LEAF Synthetic's parameters, resolved; undefined for other datasets. */
  readonly synthetic:
    | {
        readonly alpha: number;
        readonly beta: number;
        readonly iid: boolean;
        readonly maxClientSize: number | undefined;
        readonly serverTestClients: number;
        readonly cacheClients: number;
      }
    | undefined;
}

function nonNegativeNumber(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new OptionsError(option, value, "a finite number >= 0");
  return value;
}

function integerAtLeast(option: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    throw new OptionsError(option, value, `an integer >= ${min}`);
  return value;
}

/**
 * Validates a spec and fills in its defaults. Errors name the CLI flag of each field
 * (`--dataset`, `--clients`, `--partition`, `--seed`, `--data-dir`) or its path
 * (`synthetic.alpha`, ...).
 * @throws OptionsError on any bad field.
 */
export function resolveFederatedDatasetSpec(spec: unknown): ResolvedFederatedDatasetSpec {
  if (spec === null || typeof spec !== "object")
    throw new OptionsError("spec", spec, "a FederatedDatasetSpec object");
  const s = spec as Partial<Record<keyof FederatedDatasetSpec, unknown>>;
  const info = datasetInfo(s.dataset, "--dataset");
  if (typeof s.numClients !== "number" || !Number.isInteger(s.numClients) || s.numClients < 1)
    throw new OptionsError("--clients", s.numClients, "a positive integer");
  const numClients = s.numClients;
  assertSeed("--seed", s.seed);
  const partition = parsePartition(s.partition, "--partition");
  if (s.dataDir !== undefined && (typeof s.dataDir !== "string" || s.dataDir === ""))
    throw new OptionsError("--data-dir", s.dataDir, "a directory path");
  const normalize = s.normalize ?? "none";
  if (normalize !== "none" && normalize !== "mean-std")
    throw new OptionsError("normalize", normalize, '"none" or "mean-std"');
  const minClientSize = integerAtLeast("minClientSize", s.minClientSize, 0, 10);
  if (info.name === "synthetic") {
    if (partition.kind !== "natural" && partition.kind !== "iid")
      throw new OptionsError(
        "--partition",
        s.partition,
        "natural or iid for --dataset synthetic (each client is its own distribution)",
      );
    const syn = (s.synthetic ?? {}) as Partial<Record<keyof SyntheticSpec, unknown>>;
    if (typeof syn !== "object" || syn === null)
      throw new OptionsError("synthetic", s.synthetic, "an object of LEAF Synthetic parameters");
    if (syn.iid !== undefined && typeof syn.iid !== "boolean")
      throw new OptionsError("synthetic.iid", syn.iid, "a boolean");
    const maxClientSize =
      syn.maxClientSize === undefined
        ? undefined
        : integerAtLeast("synthetic.maxClientSize", syn.maxClientSize, 2, 2);
    return {
      dataset: "synthetic",
      dataDir: undefined,
      numClients,
      partition,
      seed: s.seed,
      normalize: "none",
      minClientSize,
      synthetic: {
        alpha: nonNegativeNumber("synthetic.alpha", syn.alpha, 1),
        beta: nonNegativeNumber("synthetic.beta", syn.beta, 1),
        iid: syn.iid ?? partition.kind === "iid",
        maxClientSize,
        serverTestClients: integerAtLeast(
          "synthetic.serverTestClients",
          syn.serverTestClients,
          1,
          Math.min(numClients, 100),
        ),
        cacheClients: integerAtLeast("synthetic.cacheClients", syn.cacheClients, 0, 16),
      },
    };
  }
  if (info.name === "text" && s.dataDir === undefined)
    throw new OptionsError(
      "--data-dir",
      s.dataDir,
      "a directory of .txt files (one per client) or one .txt file (split by paragraph) for --dataset text",
    );
  if (partition.kind === "natural" && info.name !== "text")
    throw new OptionsError(
      "--partition",
      s.partition,
      `a partition scheme for --dataset ${info.name} (it has no natural split)`,
    );
  if (s.synthetic !== undefined)
    throw new OptionsError("synthetic", s.synthetic, `undefined for --dataset ${info.name}`);
  const trainSize = DATASET_INFO[info.name].trainSize;
  if (trainSize !== undefined && numClients > trainSize)
    throw new OptionsError(
      "--clients",
      numClients,
      `at most ${trainSize}, the training-set size of ${info.name}`,
    );
  return {
    dataset: info.name,
    dataDir: s.dataDir,
    numClients,
    partition,
    seed: s.seed,
    normalize,
    minClientSize,
    synthetic: undefined,
  };
}

/** A canonical string for a spec: equal for specs that build the same dataset. */
export function federatedDatasetKey(
  spec: FederatedDatasetSpec | ResolvedFederatedDatasetSpec,
): string {
  const r =
    typeof (spec as ResolvedFederatedDatasetSpec).partition === "object"
      ? (spec as ResolvedFederatedDatasetSpec)
      : resolveFederatedDatasetSpec(spec);
  return JSON.stringify([
    r.dataset,
    r.dataDir ?? null,
    r.numClients,
    formatPartition(r.partition),
    r.seed,
    r.normalize,
    r.minClientSize,
    r.synthetic === undefined
      ? null
      : [
          r.synthetic.alpha,
          r.synthetic.beta,
          r.synthetic.iid,
          r.synthetic.maxClientSize ?? null,
          r.synthetic.serverTestClients,
          r.synthetic.cacheClients,
        ],
  ]);
}
