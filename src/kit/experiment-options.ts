/**
 * The options of an experiment ({@link runExperiment} and `blazefl run`), validated once with
 * zod. Every error names the option as the user wrote it (`--sample-ratio`) and becomes an
 * {@link OptionsError} (exit code 2). Numbers are parsed strictly: a number, or a string that is
 * a plain decimal number ("0.01", "1e-3"); `""`, `true`, `[50]`, `null` or `"0x10"` are refused.
 * @module
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { OptionsError } from "../core/errors.js";
import { parsePartition } from "../data/partition/partition-spec.js";
import { resolveRedisUrl } from "../distributed/env-options.js";
import { resolveModelSpec } from "../models/create-model.js";
import { ZOO_MODEL_NAMES } from "../models/model-zoo.js";
import {
  DEFAULT_DP_DELTA,
  DP_CLIPPING,
  DP_MODES,
  DP_NOISE,
  resolveRobustPrivacyOptions,
} from "./robust-privacy-options.js";

/** Datasets `--dataset` accepts. */
export const DATASETS = ["synthetic", "fashion-mnist", "mnist", "cifar10", "text"] as const;
/**
 * The most clients a run simulates: per-client tables (partitions, sizes, the state store's
 * slot table) are arrays of this length, so a typo like `--clients 1e10` is refused up front
 * instead of failing deep inside with a RangeError or running out of memory.
 */
export const MAX_CLIENTS = 10_000_000;
/** Trainers `--trainer` accepts. */
export const TRAINERS = ["serial", "thread", "process", "redis"] as const;

const device = z
  .string()
  .regex(/^(cpu|cpu-wasm|cpu-native|cpu-reference|cuda|cuda:[0-9]+)$/, "cpu, cuda or cuda:N");
/** A plain decimal number written as text, as command-line flags arrive. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Turns a decimal string into a number and leaves anything else for the schema to refuse. */
export function strictNumber(value: unknown): unknown {
  return typeof value === "string" && DECIMAL.test(value.trim()) ? Number(value) : value;
}

/** A number option that also takes its decimal text (from a flag). */
export const numberOption = () => z.preprocess(strictNumber, z.number().finite());
const positiveInt = z.preprocess(
  strictNumber,
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
);

const num = <T extends z.ZodType>(schema: T) => z.preprocess(strictNumber, schema);

/**
 * The schema of an experiment's options: the one declaration of each option. `blazefl run`'s
 * flags, their help texts (`.describe()`), the {@link ExperimentOptions} type and the
 * validation all come from it.
 */
export const runOptionsSchema = z
  .object({
    algorithm: z
      .string()
      .min(1)
      .max(4096)
      .default("fedavg")
      .describe(
        "fedavg | fedprox | scaffold | … (see `blazefl algorithms`), or a module ./my-algorithm.js (default fedavg)",
      ),
    algorithmOptions: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("the algorithm's own options (as flags: --mu 1)"),
    dataset: z
      .enum(DATASETS)
      .default("synthetic")
      .describe(
        "synthetic | fashion-mnist | mnist | cifar10 | text (a directory of .txt files, see docs/models.md; default synthetic)",
      ),
    dataDir: z
      .string()
      .min(1)
      .optional()
      .describe("the dataset's files (Fashion-MNIST: /usr/share/datasets/fashion-mnist)"),
    partition: z
      .string()
      .min(1)
      .optional()
      .describe(
        "iid | dirichlet:ALPHA | shards:K | pathological:K | quantity:ALPHA | powerlaw:E; synthetic also natural (default: natural on synthetic, else iid)",
      ),
    model: z
      .union([
        z.string().min(1).max(4096),
        z
          .object({ module: z.string().min(1).max(4096), export: z.string().min(1).optional() })
          .strict(),
      ])
      .optional()
      .describe(
        `${ZOO_MODEL_NAMES.join(" | ")}, or a module ./my-model.js exporting (inputShape, numClasses) => tf.LayersModel (default: logreg on synthetic, cnn on cifar10, char-lstm on text, else mlp)`,
      ),
    clients: num(z.number().int().positive().max(MAX_CLIENTS))
      .default(100)
      .describe(`number of clients, at most ${MAX_CLIENTS.toLocaleString("en")} (default 100)`),
    sampleRatio: num(z.number().gt(0).lte(1))
      .default(0.1)
      .describe("fraction of clients per round (default 0.1)"),
    rounds: positiveInt.default(10).describe("rounds (default 10)"),
    epochs: positiveInt.default(1).describe("local epochs (default 1)"),
    batchSize: positiveInt.default(32).describe("local batch size (default 32)"),
    lr: num(z.number().positive().finite())
      .default(0.01)
      .describe("local SGD learning rate (default 0.01)"),
    momentum: num(z.number().min(0).lt(1)).default(0).describe("local SGD momentum (default 0)"),
    weightDecay: num(z.number().min(0).finite())
      .default(0)
      .describe("local SGD weight decay (default 0)"),
    trainer: z
      .enum(TRAINERS)
      .default("process")
      .describe("serial | thread | process | redis (default process)"),
    parallels: positiveInt.optional().describe("workers (default: CPU count)"),
    clientTimeout: num(z.number().gt(0).max(2_147_483))
      .optional()
      .describe(
        "seconds a client may train before its worker is treated as dead: killed, replaced and the client retried (thread and process trainers; default: no limit)",
      ),
    seed: num(z.number().int().min(0).max(0xffff_ffff))
      .default(42)
      .describe("seed, an integer in [0, 2^32 - 1] (default 42)"),
    device: device.default("cpu").describe("cpu | cuda | cuda:N (default cpu)"),
    shmDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "where the process pool's shared-memory files go (default /dev/shm, else the temp dir; also $BLAZEFL_SHM_DIR)",
      ),
    out: z
      .string()
      .min(1)
      .optional()
      .describe("write config.json, metrics.jsonl, model.f32, model.json, checkpoint/"),
    resume: z
      .boolean()
      .default(false)
      .describe("continue the run in --out from its last checkpoint"),
    evalEvery: positiveInt
      .default(1)
      .describe("evaluate every K rounds, and after the last (default 1)"),
    redis: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, "a redis:// or rediss:// URL")
      .optional()
      .describe("redis:// or rediss:// URL, for --trainer redis"),
    syntheticAlpha: num(z.number().min(0).finite())
      .default(1)
      .describe("LEAF Synthetic alpha (default 1)"),
    syntheticBeta: num(z.number().min(0).finite())
      .default(1)
      .describe("LEAF Synthetic beta (default 1)"),
    quiet: z.boolean().default(false).describe("no progress bars and no per-round lines"),
    report: z
      .boolean()
      .default(false)
      .describe(
        "write report.html (plots) into --out after every round; open it while the run goes on",
      ),
    runId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, "1 to 64 letters, digits, '_', '.' or '-'")
      .optional()
      .describe("namespaces a Redis run's keys (default: $BLAZEFL_RUN_ID or 'default')"),
    // Robust aggregation, attacks and DP: checked across each other in resolveRobustPrivacyOptions.
    aggregator: z
      .string()
      .min(1)
      .optional()
      .describe(
        "median | trimmed-mean[:BETA] | krum:F | multi-krum:F:M | bulyan:F, for algorithms whose clients send their model (default: the algorithm's mean)",
      ),
    attack: z
      .string()
      .min(1)
      .optional()
      .describe(
        "sign-flip:FRACTION[:SCALE] | gaussian:FRACTION[:STD] | label-flip:FRACTION | alie:FRACTION (a seeded FRACTION of all clients is malicious)",
      ),
    dp: z.enum(DP_MODES).optional().describe("differential privacy: fixed | adaptive | local"),
    clip: num(z.number().gt(0).finite())
      .optional()
      .describe("the DP clip norm C (adaptive: the initial one, default 0.1)"),
    noiseMultiplier: num(z.number().gt(0).finite())
      .optional()
      .describe("the DP noise multiplier σ (what the accountant is given)"),
    dpDelta: num(z.number().gt(0).lt(1))
      .default(DEFAULT_DP_DELTA)
      .describe("the δ at which ε is reported (default 1e-5)"),
    dpClipping: z
      .enum(DP_CLIPPING)
      .optional()
      .describe("who clips with --dp fixed: server | client (default server)"),
    dpTargetEpsilon: num(z.number().gt(0).finite())
      .optional()
      .describe("stop before the round that would take ε past this"),
    dpNoise: z
      .enum(DP_NOISE)
      .default("seeded")
      .describe("seeded (reproducible, default) | crypto (node:crypto: not reproducible)"),
  })
  .strict();

/**
 * The resolved options of one run: {@link runOptionsSchema}'s output (see its descriptions),
 * with the defaults that depend on other options filled in (`partition`, `model`, `parallels`).
 */
export type ExperimentOptions = Readonly<
  Omit<z.output<typeof runOptionsSchema>, "partition" | "model" | "parallels"> & {
    /** How the training data is split across clients. */
    partition: string;
    /** The model: a zoo name, a module path, or `{ module, export }` (see `resolveModelSpec`). */
    model: string | { readonly module: string; readonly export?: string | undefined };
    /** Workers of the thread and process trainers. */
    parallels: number;
  }
>;

/**
 * What {@link resolveRunOptions} takes: resolved options, or raw ones (flags, a config file;
 * camelCase or kebab-case keys, algorithm options at the top level or under `algorithmOptions`).
 */
export type ExperimentInput =
  | Readonly<Partial<ExperimentOptions>>
  | Readonly<Record<string, unknown>>;

/** camelCase option key to its command-line flag. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** kebab-case or camelCase key to camelCase. */
function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Validates raw options (from commander and/or a `--config` file; keys in camelCase or
 * kebab-case) and fills in the defaults.
 * @throws OptionsError naming the first bad option.
 */
export function resolveRunOptions(options: ExperimentInput): ExperimentOptions {
  const raw = options as Readonly<Record<string, unknown>>;
  const input: Record<string, unknown> = {};
  const algorithmOptions: Record<string, unknown> = {};
  const known = runOptionsSchema.shape;
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const name = camel(key);
    // Keys the experiment does not know belong to the algorithm, whose schema checks them.
    if (name in known) input[name] = value;
    else algorithmOptions[name] = value;
  }
  if (Object.keys(algorithmOptions).length > 0) {
    const given = input.algorithmOptions;
    if (
      given !== undefined &&
      (given === null || typeof given !== "object" || Array.isArray(given))
    )
      throw new OptionsError("algorithmOptions", given, "an object of the algorithm's options");
    input.algorithmOptions = {
      ...(given as Record<string, unknown> | undefined),
      ...algorithmOptions,
    };
  }
  const parsed = runOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "options");
    if (issue?.code === "unrecognized_keys")
      throw new OptionsError(
        flagName(String(issue.keys[0])),
        input[String(issue.keys[0])],
        "a known option of `blazefl run` (or of the algorithm: see `blazefl algorithms`)",
      );
    throw new OptionsError(flagName(key), input[key], describeIssue(issue));
  }
  const o = parsed.data;
  if (o.clientTimeout !== undefined && o.trainer !== "thread" && o.trainer !== "process")
    throw new OptionsError(
      "--client-timeout",
      o.clientTimeout,
      "unset unless --trainer is thread or process (only a pool can replace a hung worker)",
    );
  if (o.report && o.out === undefined)
    throw new OptionsError("--report", true, "--out DIR as well (the report is written into it)");
  // --redis, else $BLAZEFL_REDIS_URL (keeps the password off `ps`); checked here, once.
  const redis = o.trainer === "redis" ? resolveRedisUrl(o.redis, process.env) : o.redis;
  if (Math.floor(o.clients * o.sampleRatio) < 1)
    throw new OptionsError(
      "--sample-ratio",
      o.sampleRatio,
      `a ratio that samples at least one of ${o.clients} clients`,
    );
  // LEAF Synthetic's own split is "natural" (one model per client); "iid" selects its IID variant.
  const partitionText =
    o.partition ?? (o.dataset === "synthetic" || o.dataset === "text" ? "natural" : "iid");
  parsePartition(partitionText, "--partition");
  if (partitionText === "natural" && o.dataset !== "synthetic" && o.dataset !== "text")
    throw new OptionsError(
      "--partition",
      partitionText,
      "iid, dirichlet:ALPHA, shards:K, pathological:K, quantity:ALPHA or powerlaw:E for an image dataset (natural is synthetic's own split)",
    );
  const model =
    o.model ??
    (o.dataset === "synthetic"
      ? "logreg"
      : o.dataset === "cifar10"
        ? "cnn"
        : o.dataset === "text"
          ? "char-lstm"
          : "mlp");
  resolveModelSpec(model, "--model");
  if (o.dataset === "synthetic" && model === "cnn")
    throw new OptionsError(
      "--model",
      model,
      "mlp or logreg for the synthetic dataset (it has 60 features, no image)",
    );
  return {
    ...o,
    redis,
    partition: partitionText,
    model,
    parallels: o.parallels ?? availableParallelism(),
    ...resolveRobustPrivacyOptions(o, o.seed, o.clients, Math.floor(o.clients * o.sampleRatio)),
  };
}

export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "a valid value";
  switch (issue.code) {
    case "invalid_value":
      return `one of ${issue.values.map((v) => String(v)).join(", ")}`;
    case "invalid_format":
      return issue.message;
    case "too_small":
      return `a number ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return `a number ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`;
    case "invalid_type":
      return issue.expected === "int" ? "an integer" : `a ${issue.expected}`;
    default:
      return issue.message;
  }
}
