/**
 * How workers and the CLI find an algorithm's definition: by module URL and export name (data,
 * so a job never carries code). Each module is imported once per process or thread.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { AlgorithmDefinition } from "./algorithm.js";
import type { AlgorithmRef } from "./client-runner.js";

const loaded = new Map<string, Promise<AlgorithmDefinition>>();

/** Whether `value` looks like a `defineAlgorithm` result. */
export function isDefinition(value: unknown): value is AlgorithmDefinition {
  if (value === null || typeof value !== "object") return false;
  const v = value as Partial<AlgorithmDefinition>;
  return (
    typeof v.name === "string" &&
    typeof v.server === "function" &&
    typeof v.client === "function" &&
    typeof v.options === "object"
  );
}

/**
 * Imports `ref.moduleUrl` and returns its `ref.exportName` export, which must be an
 * algorithm definition (see `defineAlgorithm`).
 * @throws OptionsError naming `--algorithm` when the module or the export is missing or wrong.
 */
export function loadAlgorithm(ref: AlgorithmRef): Promise<AlgorithmDefinition> {
  const key = `${ref.moduleUrl}#${ref.exportName}`;
  let definition = loaded.get(key);
  if (definition === undefined) {
    definition = (async () => {
      let module: Record<string, unknown>;
      try {
        module = (await import(ref.moduleUrl)) as Record<string, unknown>;
      } catch (error) {
        throw new OptionsError(
          "--algorithm",
          ref.moduleUrl,
          `an importable module (${(error as Error).message})`,
          { cause: error },
        );
      }
      // "*": the definition passed to runExperiment as an object; find it by its name.
      const value =
        ref.exportName === "*"
          ? Object.values(module).find((v) => isDefinition(v) && v.name === ref.name)
          : module[ref.exportName];
      if (!isDefinition(value))
        throw new OptionsError(
          "--algorithm",
          ref.moduleUrl,
          `a module whose ${ref.exportName === "default" ? "default export" : ref.exportName === "*" ? `exports include algorithm ${ref.name ?? ""}` : `export ${ref.exportName}`} is an algorithm made with defineAlgorithm()`,
        );
      return value;
    })();
    definition.catch(() => loaded.delete(key));
    loaded.set(key, definition);
  }
  return definition;
}

/**
 * Makes `definition` the answer for `ref` in this process, without importing its module: the
 * parent of a one-file script must not import the module it is still evaluating.
 */
export function registerLoadedAlgorithm(ref: AlgorithmRef, definition: AlgorithmDefinition): void {
  loaded.set(`${ref.moduleUrl}#${ref.exportName}`, Promise.resolve(definition));
}
