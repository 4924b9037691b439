/**
 * {@link PartitionSpec}: a partition scheme as data, parsed from strings such as `dirichlet:0.5`.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/** A partition scheme, as data. */
export type PartitionSpec =
  /** A uniformly random split into near-equal parts. */
  | { readonly kind: "iid" }
  /** The dataset's own split (LEAF Synthetic: one distribution per client). */
  | { readonly kind: "natural" }
  /** Dirichlet(alpha) label skew (NIID-Bench). */
  | { readonly kind: "dirichlet"; readonly alpha: number }
  /** McMahan's shards, K per client. */
  | { readonly kind: "shards"; readonly shardsPerClient: number }
  /** k classes per client. */
  | { readonly kind: "pathological"; readonly classesPerClient: number }
  /** Quantity skew with Dir_N(alpha) sizes. */
  | { readonly kind: "quantity"; readonly alpha: number }
  /** Quantity skew with power-law (Zipf) sizes. */
  | { readonly kind: "powerlaw"; readonly exponent: number };

/** The accepted syntax, used in error messages and help. */
export const PARTITION_SYNTAX =
  "one of iid, natural, dirichlet:ALPHA (ALPHA > 0), shards:K (K >= 1; plain shards means K = 2), pathological:K (K >= 1), quantity:ALPHA (ALPHA > 0), powerlaw:EXPONENT (EXPONENT >= 0)";

const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+]?\d+$/;

/**
 * Parses a partition string: `iid`, `natural`, `dirichlet:ALPHA`, `shards[:K]`,
 * `pathological:K`, `quantity:ALPHA` or `powerlaw:EXPONENT`.
 * @param text - The string, e.g. `"dirichlet:0.5"`.
 * @param option - The option name used in errors.
 * @throws OptionsError naming `option` for anything else (unknown scheme, missing or
 *   non-numeric parameter, alpha <= 0, non-integer K, NaN, Infinity, ...).
 * @example parsePartition("shards:2") // { kind: "shards", shardsPerClient: 2 }
 */
export function parsePartition(text: unknown, option = "--partition"): PartitionSpec {
  if (typeof text !== "string") throw new OptionsError(option, text, PARTITION_SYNTAX);
  const colon = text.indexOf(":");
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  const arg = colon < 0 ? undefined : text.slice(colon + 1).trim();
  const fail = (expected: string): never => {
    throw new OptionsError(option, text, expected);
  };
  const positive = (name: string, allowZero: boolean): number => {
    if (arg === undefined || !DECIMAL.test(arg))
      return fail(`${kind}:${name} with ${name} a number ${allowZero ? ">= 0" : "> 0"}`);
    const value = Number(arg);
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
      return fail(`${kind}:${name} with ${name} a finite number ${allowZero ? ">= 0" : "> 0"}`);
    return value;
  };
  const count = (fallback: number | undefined): number => {
    if (arg === undefined && fallback !== undefined) return fallback;
    if (
      arg === undefined ||
      !INTEGER.test(arg) ||
      Number(arg) < 1 ||
      !Number.isSafeInteger(Number(arg))
    )
      return fail(`${kind}:K with K an integer >= 1`);
    return Number(arg);
  };
  switch (kind) {
    case "iid":
    case "natural":
      if (arg !== undefined) fail(`${kind} without a parameter`);
      return { kind };
    case "dirichlet":
      return { kind, alpha: positive("ALPHA", false) };
    case "quantity":
      return { kind, alpha: positive("ALPHA", false) };
    case "powerlaw":
      return { kind, exponent: positive("EXPONENT", true) };
    case "shards":
      return { kind, shardsPerClient: count(2) };
    case "pathological":
      return { kind, classesPerClient: count(undefined) };
    default:
      return fail(PARTITION_SYNTAX);
  }
}

/** The canonical string of a spec; `parsePartition(formatPartition(s))` equals `s`. */
export function formatPartition(spec: PartitionSpec): string {
  switch (spec.kind) {
    case "iid":
    case "natural":
      return spec.kind;
    case "dirichlet":
    case "quantity":
      return `${spec.kind}:${spec.alpha}`;
    case "powerlaw":
      return `powerlaw:${spec.exponent}`;
    case "shards":
      return `shards:${spec.shardsPerClient}`;
    case "pathological":
      return `pathological:${spec.classesPerClient}`;
  }
}
