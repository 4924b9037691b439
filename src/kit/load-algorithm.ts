/**
 * How workers and the CLI find an algorithm's definition: by module URL and export name (data,
 * so a job never carries code). Each module is imported once per process or thread.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { AlgorithmDefinition } from "./algorithm.js";
import type { AlgorithmRef } from "./client-runner.js";

const loaded = new Map<string, Promise<AlgorithmDefinition>>();

function isDefinition(value: unknown): value is AlgorithmDefinition {
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
      const value = module[ref.exportName];
      if (!isDefinition(value))
        throw new OptionsError(
          "--algorithm",
          ref.moduleUrl,
          `a module whose ${ref.exportName === "default" ? "default export" : `export ${ref.exportName}`} is an algorithm made with defineAlgorithm()`,
        );
      return value;
    })();
    definition.catch(() => loaded.delete(key));
    loaded.set(key, definition);
  }
  return definition;
}
