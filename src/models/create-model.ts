/**
 * {@link createModel}: the one entry point from a model spec (a zoo name or a user's module) to a
 * {@link TrainableModel}, used by the kit's workers and the CLI alike.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import { assertPositiveInteger } from "../core/validate.js";
import { createRngSuite } from "../reproducibility/rng-suite.js";
import { assertSeed } from "../reproducibility/seed.js";
import { LayersModelClassifier } from "./layers-model-classifier.js";
import { createZooModel, isModelName, ZOO_MODEL_NAMES, type ZooModelName } from "./model-zoo.js";
import type { TrainableModel } from "./trainable-model.js";

/**
 * A user's model module: `module` is a path (relative to the working directory) or a URL of an
 * ES module whose export `export` (default `"default"`) is a function
 * `(inputShape: number[], numClasses: number) => tf.LayersModel` (or a promise of one).
 * @example { module: "./my-model.js", export: "buildModel" }
 */
export interface ModuleModelSpec {
  /** A file path or a `file:`/`data:` URL of an ES module. */
  readonly module: string;
  /** The name of the exported builder. @default "default" */
  readonly export?: string;
}

/**
 * What {@link createModel} accepts, as JSON-safe data to send to every worker: a zoo name
 * (`"lenet5"`), a module path as the CLI's `--model` gives it (`"./my-model.js"`, that is, every string
 * that is not a zoo name and contains a `/` or ends in `.js`, `.mjs`, `.cjs`, `.ts`, `.mts`), or
 * a {@link ModuleModelSpec}.
 */
export type ModelSpec = ZooModelName | string | ModuleModelSpec;

/** A {@link ModelSpec} after {@link resolveModelSpec}: a zoo name or an absolute module URL. */
export type ResolvedModelSpec =
  | { readonly kind: "zoo"; readonly name: ZooModelName }
  | { readonly kind: "module"; readonly url: string; readonly export: string };

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** One sample's shape, e.g. the dataset's `sampleShape`. */
  readonly inputShape: readonly number[];
  /** The number of classes, e.g. the dataset's `numClasses`. */
  readonly numClasses: number;
  /** The run's seed: the initial weights are drawn from `createRngSuite(seed).init`. */
  readonly seed: number;
  /** The option named in errors. @default "--model" */
  readonly option?: string;
}

const MODULE_PATTERN = /[/\\]|\.(?:[cm]?js|m?ts)$/;

function expectedSpec(): string {
  return `one of ${ZOO_MODEL_NAMES.join(", ")}, or a module path such as ./my-model.js`;
}

/**
 * Checks `spec` and makes it absolute: a relative module path is resolved against `cwd` now,
 * so workers with another working directory load the same file. Call it once at the edge (the
 * CLI, the kit's parent) and send the result to the workers.
 * @throws OptionsError naming `option` for anything that is not a zoo name or a module spec.
 */
export function resolveModelSpec(
  spec: unknown,
  option = "--model",
  cwd: string = process.cwd(),
): ResolvedModelSpec {
  if (
    spec !== null &&
    typeof spec === "object" &&
    (spec as { kind?: unknown }).kind !== undefined
  ) {
    const r = spec as Partial<{ kind: unknown; name: unknown; url: unknown; export: unknown }>;
    if (r.kind === "zoo" && isModelName(r.name)) return { kind: "zoo", name: r.name };
    if (r.kind === "module" && typeof r.url === "string" && typeof r.export === "string")
      return { kind: "module", url: r.url, export: r.export };
    throw new OptionsError(option, spec, expectedSpec());
  }
  if (typeof spec === "string") {
    if (isModelName(spec)) return { kind: "zoo", name: spec };
    if (!MODULE_PATTERN.test(spec)) throw new OptionsError(option, spec, expectedSpec());
    return resolveModelSpec({ module: spec }, option, cwd);
  }
  if (spec === null || typeof spec !== "object")
    throw new OptionsError(option, spec, expectedSpec());
  const { module, export: name = "default" } = spec as Partial<{
    module: unknown;
    export: unknown;
  }>;
  if (typeof module !== "string" || module === "")
    throw new OptionsError(`${option}.module`, module, "a module path or URL");
  if (typeof name !== "string" || name === "")
    throw new OptionsError(`${option}.export`, name, "the name of an exported function");
  const url = /^(?:file|data):/.test(module)
    ? module
    : pathToFileURL(isAbsolute(module) ? module : resolve(cwd, module)).href;
  return { kind: "module", url, export: name };
}

/** The function a user's module exports. */
export type ModelBuilder = (
  inputShape: number[],
  numClasses: number,
) => tf.LayersModel | Promise<tf.LayersModel>;

async function loadBuilder(
  spec: { readonly url: string; readonly export: string },
  option: string,
): Promise<ModelBuilder> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(spec.url)) as Record<string, unknown>;
  } catch (error) {
    throw new OptionsError(option, spec.url, "a module that can be imported", { cause: error });
  }
  const builder = namespace[spec.export];
  if (typeof builder !== "function")
    throw new OptionsError(
      option,
      builder === undefined
        ? `${spec.url}, which has no export ${spec.export}`
        : `${spec.url}, whose export ${spec.export} is a ${typeof builder}`,
      `a module whose export "${spec.export}" is a function (inputShape, numClasses) => tf.LayersModel`,
    );
  return builder as ModelBuilder;
}

/**
 * Builds the model `spec` names on the current tfjs backend (call `initEngine` first), with
 * initial weights drawn from `createRngSuite(seed).init`: the same spec, shape, classes and
 * seed give bit-identical weights in every thread and process. A zoo name gives the zoo model;
 * a module gives its `tf.LayersModel` wrapped in a {@link LayersModelClassifier}.
 *
 * @example
 * const spec = resolveModelSpec("./my-model.js"); // in the parent, once
 * const model = await createModel(spec, { inputShape: data.sampleShape, numClasses: data.numClasses, seed });
 * @throws OptionsError naming `--model` (or `options.option`) for an unknown name, a module that
 *   cannot be imported, a missing export, a builder that throws or returns no LayersModel, or a
 *   model whose input or output does not fit the data (output `[batch, numClasses]`).
 */
export async function createModel(
  spec: ModelSpec | ResolvedModelSpec,
  options: CreateModelOptions,
): Promise<TrainableModel> {
  const option = options?.option ?? "--model";
  if (options === null || typeof options !== "object")
    throw new OptionsError("options", options, "{ inputShape, numClasses, seed }");
  const resolved = resolveModelSpec(spec, option);
  const { inputShape, numClasses, seed } = options;
  if (!Array.isArray(inputShape) || inputShape.length === 0)
    throw new OptionsError("inputShape", inputShape, "a non-empty array of positive integers");
  for (const [i, d] of inputShape.entries()) assertPositiveInteger(`inputShape[${i}]`, d);
  assertPositiveInteger("numClasses", numClasses);
  assertSeed("seed", seed);
  const rng = createRngSuite(seed).init;
  if (resolved.kind === "zoo")
    return createZooModel(resolved.name, { rng, inputShape, numClasses });
  const builder = await loadBuilder(resolved, option);
  let model: tf.LayersModel;
  try {
    model = await builder([...inputShape], numClasses);
  } catch (error) {
    if (error instanceof OptionsError) throw error;
    throw new OptionsError(option, resolved.url, "a builder that returns a tf.LayersModel", {
      cause: error,
    });
  }
  if (model === null || typeof model !== "object" || !Array.isArray(model.layers))
    throw new OptionsError(
      option,
      `${resolved.url} returned ${model === null ? "null" : typeof model}`,
      "a builder that returns a tf.LayersModel",
    );
  try {
    return new LayersModelClassifier(model, { rng, inputShape, numClasses, option });
  } catch (error) {
    model.dispose();
    throw error;
  }
}
