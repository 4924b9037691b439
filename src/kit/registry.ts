/**
 * The algorithm registry: built-in algorithms by name, and user modules by path, resolved to a
 * {@link AlgorithmRef} (module URL + export name) that workers import. A name is data; a worker
 * runs only algorithms it can resolve itself.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { OptionsError } from "../core/errors.js";
import type { AlgorithmDefinition } from "./algorithm.js";
import type { AlgorithmRef } from "./client-runner.js";
import { describeIssue, flagName, strictNumber } from "./experiment-options.js";
import { loadAlgorithm } from "./load-algorithm.js";

/** The built-in algorithms: name to module (relative to this file) and export. */
const BUILT_IN: Readonly<Record<string, { readonly module: string; readonly export: string }>> = {
  fedavg: { module: "../contrib/fedavg/algorithm.js", export: "fedAvg" },
  fedprox: { module: "../contrib/fedprox/algorithm.js", export: "fedProx" },
  scaffold: { module: "../contrib/scaffold/algorithm.js", export: "scaffold" },
  fedavgm: { module: "../contrib/fedavgm/algorithm.js", export: "fedAvgM" },
  fedadagrad: { module: "../contrib/fedadagrad/algorithm.js", export: "fedAdagrad" },
  fedyogi: { module: "../contrib/fedyogi/algorithm.js", export: "fedYogi" },
  fedadam: { module: "../contrib/fedadam/algorithm.js", export: "fedAdam" },
  fednova: { module: "../contrib/fednova/algorithm.js", export: "fedNova" },
  feddyn: { module: "../contrib/feddyn/algorithm.js", export: "fedDyn" },
  ditto: { module: "../contrib/ditto/algorithm.js", export: "ditto" },
};

/** The names of the built-in algorithms. */
export function builtInAlgorithmNames(): string[] {
  return Object.keys(BUILT_IN).sort();
}

/**
 * Resolves `--algorithm`: a built-in name, or a module path/URL (`./fedprox.js`,
 * `/abs/path.js#myAlgorithm`, `file:///…`) whose export (default: `default`) is a definition.
 */
export function algorithmRef(spec: string): AlgorithmRef {
  const builtIn = BUILT_IN[spec];
  if (builtIn !== undefined)
    return { moduleUrl: new URL(builtIn.module, import.meta.url).href, exportName: builtIn.export };
  const looksLikeModule = /^(\.{1,2}\/|\/|file:)/.test(spec) || /\.(m?[jt]s)(#.*)?$/.test(spec);
  if (!looksLikeModule)
    throw new OptionsError(
      "--algorithm",
      spec,
      `one of ${builtInAlgorithmNames().join(", ")}, or a module path such as ./my-algorithm.js`,
    );
  const hash = spec.lastIndexOf("#");
  const path = hash > 0 ? spec.slice(0, hash) : spec;
  const exportName = hash > 0 ? spec.slice(hash + 1) : "default";
  const moduleUrl = path.startsWith("file:")
    ? path
    : pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
  return { moduleUrl, exportName };
}

/** Loads the definition `spec` names. */
export async function resolveAlgorithm(
  spec: string,
): Promise<{ readonly ref: AlgorithmRef; readonly definition: AlgorithmDefinition }> {
  const ref = algorithmRef(spec);
  return { ref, definition: await loadAlgorithm(ref) };
}

function unwrap(schema: z.ZodType): string {
  let def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod
    .def;
  while (
    def.innerType !== undefined &&
    ["default", "optional", "nullable", "prefault"].includes(def.type)
  )
    def = (def.innerType as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })
      ._zod.def;
  return def.type;
}

/**
 * Validates an algorithm's options with its schema. Text values (from flags) are turned into
 * the number or boolean the schema wants, strictly. Errors name the flag (`--mu`).
 */
export function parseAlgorithmOptions(
  definition: AlgorithmDefinition,
  raw: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const shape = definition.options.shape as Record<string, z.ZodType>;
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = shape[key];
    if (field === undefined)
      throw new OptionsError(
        flagName(key),
        value,
        `an option of \`blazefl run\` or of algorithm ${definition.name} (unknown option; ${
          Object.keys(shape).length === 0
            ? `${definition.name} takes none of its own`
            : `${definition.name} takes ${Object.keys(shape).map(flagName).join(", ")}`
        }; see \`blazefl algorithms\`)`,
      );
    const type = unwrap(field);
    if (type === "number") input[key] = strictNumber(value);
    else if (type === "boolean" && typeof value === "string")
      input[key] = value === "" || value === "true" ? true : value === "false" ? false : value;
    else input[key] = value;
  }
  const parsed = definition.options.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "options");
    throw new OptionsError(flagName(key), input[key], describeIssue(issue));
  }
  return parsed.data as Record<string, unknown>;
}

/** One line per option of `definition`: flag, default and description, for help texts. */
export function describeAlgorithmOptions(definition: AlgorithmDefinition): string[] {
  const shape = definition.options.shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([key, field]) => {
    const description = (field as { description?: string }).description ?? "";
    const parsed = definition.options.safeParse({});
    const fallback = parsed.success ? (parsed.data as Record<string, unknown>)[key] : undefined;
    return `${flagName(key)} <${unwrap(field)}>  ${description}${fallback !== undefined ? ` (default ${JSON.stringify(fallback)})` : ""}`;
  });
}
