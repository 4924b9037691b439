/**
 * The model zoo: the models BlazeFL.ts ships, by name, and a {@link ModelSelector} over them.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { ModelSelector } from "../core/model-selector.js";
import type { Rng } from "../reproducibility/rng.js";
import { createRngSuite } from "../reproducibility/rng-suite.js";
import { assertSeed } from "../reproducibility/seed.js";
import { createCnn } from "./cnn.js";
import { createLogisticRegression } from "./logistic-regression.js";
import { createMlp } from "./mlp.js";
import type { SequentialClassifier } from "./sequential-classifier.js";

/** The names of the zoo's models. */
export const MODEL_NAMES = ["mlp", "cnn", "logreg"] as const;

/** A model name: `"mlp"` (784-200-200-10), `"cnn"` (McMahan et al.) or `"logreg"`. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** The generator the initial weights are drawn from. */
  readonly rng: Rng;
  /**
   * One sample's shape. Defaults: mlp `[784]`, cnn `[28, 28, 1]`, logreg `[60]`. The MLP and
   * logistic regression flatten it; the CNN needs `[height, width, channels]`.
   */
  readonly inputShape?: readonly number[];
  /** The number of classes. @default 10 */
  readonly numClasses?: number;
}

/** Whether `name` is one of {@link MODEL_NAMES}. */
export function isModelName(name: unknown): name is ModelName {
  return typeof name === "string" && (MODEL_NAMES as readonly string[]).includes(name);
}

/**
 * Builds the zoo model called `name` on the current tfjs backend (call `initEngine` first).
 * @throws OptionsError for an unknown name or a bad shape.
 */
export function createModel(name: ModelName, options: CreateModelOptions): SequentialClassifier {
  if (!isModelName(name)) throw new OptionsError("model", name, `one of ${MODEL_NAMES.join(", ")}`);
  const shape = options.inputShape === undefined ? {} : { inputShape: options.inputShape };
  const classes = options.numClasses === undefined ? {} : { numClasses: options.numClasses };
  const common = { rng: options.rng, ...shape, ...classes };
  if (name === "mlp") return createMlp(common);
  if (name === "cnn") return createCnn(common);
  return createLogisticRegression(common);
}

/** Options of {@link ZooModelSelector}. */
export interface ZooModelSelectorOptions {
  /** The run's seed: every model's weights come from `createRngSuite(seed).init`. */
  readonly seed: number;
  /** One sample's shape, passed to every model (see {@link CreateModelOptions.inputShape}). */
  readonly inputShape?: readonly number[];
  /** The number of classes. @default 10 */
  readonly numClasses?: number;
}

/**
 * Selects zoo models by name. Every call returns a fresh model whose weights are a pure function
 * of the seed and the name, so each worker builds the same initial model.
 */
export class ZooModelSelector implements ModelSelector<ModelName, SequentialClassifier> {
  /** The names it accepts. */
  readonly names: readonly ModelName[] = MODEL_NAMES;
  readonly #options: ZooModelSelectorOptions;

  /** @param options - The seed, and optionally the sample shape and the number of classes. */
  constructor(options: ZooModelSelectorOptions) {
    if (options === null || typeof options !== "object")
      throw new OptionsError("options", options, "an object with a seed");
    assertSeed("seed", options.seed);
    this.#options = { ...options };
  }

  selectModel(name: ModelName): SequentialClassifier {
    const { seed, inputShape, numClasses } = this.#options;
    return createModel(name, {
      rng: createRngSuite(seed).init,
      ...(inputShape === undefined ? {} : { inputShape }),
      ...(numClasses === undefined ? {} : { numClasses }),
    });
  }
}
