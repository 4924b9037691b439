/**
 * The model zoo: the models BlazeFL.ts ships, by name, and a {@link ModelSelector} over them.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import type { ModelSelector } from "../core/model-selector.js";
import type { Rng } from "../reproducibility/rng.js";
import { createRngSuite } from "../reproducibility/rng-suite.js";
import { assertSeed } from "../reproducibility/seed.js";
import { createCnn } from "./cnn.js";
import { LayersModelClassifier } from "./layers-model-classifier.js";
import { createLogisticRegression } from "./logistic-regression.js";
import { createMlp } from "./mlp.js";
import type { SequentialClassifier } from "./sequential-classifier.js";
import { buildCharLstm } from "./zoo/char-lstm.js";
import { buildLenet5 } from "./zoo/lenet5.js";
import { buildResnet18, RESNET18_GN_GROUPS } from "./zoo/resnet18.js";

/** The names of the zoo's models. */
export const ZOO_MODEL_NAMES = [
  "mlp",
  "cnn",
  "logreg",
  "lenet5",
  "resnet18",
  "resnet18-gn",
  "char-lstm",
] as const;

/**
 * A zoo model's name: `"mlp"` (784-200-200-10), `"cnn"` (McMahan et al.), `"logreg"`,
 * `"lenet5"` (PyTorch's CIFAR tutorial CNN), `"resnet18"` (torchvision's), `"resnet18-gn"`
 * (with group norm) or `"char-lstm"` (LEAF Shakespeare's).
 */
export type ZooModelName = (typeof ZOO_MODEL_NAMES)[number];

/** The zoo models with hand-written backward passes (`SequentialClassifier`s). */
export const MODEL_NAMES = ["mlp", "cnn", "logreg"] as const;

/**
 * The names of the hand-written zoo models, which FedAvg's classic trainers and the Redis
 * worker build. Every other model goes through `createModel` and a {@link ZooModelName} or a
 * module spec.
 */
export type ModelName = (typeof MODEL_NAMES)[number];

/** The zoo models with hand-written backward passes (an alias of {@link ModelName}). */
export type SequentialModelName = ModelName;

/** What {@link createZooModel} returns for `name`. */
export type ZooModel<N extends ZooModelName> = N extends SequentialModelName
  ? SequentialClassifier
  : LayersModelClassifier;

/** Builders of the zoo's tfjs-layers models, from the sample shape and the class count. */
const LAYERS_MODELS: Readonly<
  Record<
    Exclude<ZooModelName, SequentialModelName>,
    (shape: readonly number[], k: number) => tf.LayersModel
  >
> = {
  lenet5: buildLenet5,
  resnet18: (shape, k) => buildResnet18(shape, k),
  "resnet18-gn": (shape, k) =>
    buildResnet18(shape, k, { kind: "group", groups: RESNET18_GN_GROUPS }),
  "char-lstm": buildCharLstm,
};

/** Default sample shapes: Fashion-MNIST's, CIFAR-10's for the CIFAR models, LEAF's for text. */
const DEFAULT_SHAPES: Readonly<Record<ZooModelName, readonly number[]>> = {
  mlp: [784],
  cnn: [28, 28, 1],
  logreg: [60],
  lenet5: [32, 32, 3],
  resnet18: [32, 32, 3],
  "resnet18-gn": [32, 32, 3],
  "char-lstm": [80],
};

/** Options of {@link createZooModel}. */
export interface CreateZooModelOptions {
  /** The generator the initial weights are drawn from. */
  readonly rng: Rng;
  /**
   * One sample's shape. Defaults: mlp `[784]`, cnn `[28, 28, 1]`, logreg `[60]`, lenet5 and
   * resnet18 `[32, 32, 3]`, char-lstm `[80]`. The MLP and logistic regression flatten it; the
   * convolutional models need `[height, width, channels]`.
   */
  readonly inputShape?: readonly number[];
  /** The number of classes (char-lstm: the vocabulary size). @default 10 (char-lstm: 80) */
  readonly numClasses?: number;
}

/** Whether `name` is one of {@link ZOO_MODEL_NAMES}. */
export function isModelName(name: unknown): name is ZooModelName {
  return typeof name === "string" && (ZOO_MODEL_NAMES as readonly string[]).includes(name);
}

/**
 * Builds the zoo model called `name` on the current tfjs backend (call `initEngine` first),
 * its weights drawn from `options.rng`.
 * @throws OptionsError for an unknown name or a bad shape.
 */
export function createZooModel<N extends ZooModelName>(
  name: N,
  options: CreateZooModelOptions,
): ZooModel<N> {
  if (!isModelName(name))
    throw new OptionsError("model", name, `one of ${ZOO_MODEL_NAMES.join(", ")}`);
  const inputShape = options.inputShape ?? DEFAULT_SHAPES[name];
  const numClasses = options.numClasses ?? (name === "char-lstm" ? 80 : 10);
  const common = { rng: options.rng, inputShape, numClasses };
  if (name === "mlp") return createMlp(common) as ZooModel<N>;
  if (name === "cnn") return createCnn(common) as ZooModel<N>;
  if (name === "logreg") return createLogisticRegression(common) as ZooModel<N>;
  const build = LAYERS_MODELS[name as Exclude<ZooModelName, SequentialModelName>];
  return new LayersModelClassifier(build(inputShape, numClasses), {
    ...common,
    name,
  }) as ZooModel<N>;
}

/** Options of {@link ZooModelSelector}. */
export interface ZooModelSelectorOptions {
  /** The run's seed: every model's weights come from `createRngSuite(seed).init`. */
  readonly seed: number;
  /** One sample's shape, passed to every model (see {@link CreateZooModelOptions.inputShape}). */
  readonly inputShape?: readonly number[];
  /** The number of classes. @default 10 */
  readonly numClasses?: number;
}

/**
 * Selects zoo models by name. Every call returns a fresh model whose weights are a pure function
 * of the seed and the name, so each worker builds the same initial model.
 */
export class ZooModelSelector implements ModelSelector<ZooModelName, ZooModel<ZooModelName>> {
  /** The names it accepts. */
  readonly names: readonly ZooModelName[] = ZOO_MODEL_NAMES;
  readonly #options: ZooModelSelectorOptions;

  /** @param options - The seed, and optionally the sample shape and the number of classes. */
  constructor(options: ZooModelSelectorOptions) {
    if (options === null || typeof options !== "object")
      throw new OptionsError("options", options, "an object with a seed");
    assertSeed("seed", options.seed);
    this.#options = { ...options };
  }

  selectModel<N extends ZooModelName>(name: N): ZooModel<N> {
    const { seed, inputShape, numClasses } = this.#options;
    return createZooModel(name, {
      rng: createRngSuite(seed).init,
      ...(inputShape === undefined ? {} : { inputShape }),
      ...(numClasses === undefined ? {} : { numClasses }),
    });
  }
}
