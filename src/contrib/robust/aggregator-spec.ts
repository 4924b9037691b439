/**
 * `--aggregator` specs: how a run combines its clients' models. `mean` (alias `fedavg`) is the
 * default streaming weighted mean; the others are robust aggregators that need every update at once.
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/** A parsed `--aggregator` value. */
export type AggregatorSpec =
  | { readonly kind: "mean" }
  | { readonly kind: "median" }
  | { readonly kind: "trimmed-mean"; readonly beta: number }
  | { readonly kind: "krum"; readonly f: number }
  | { readonly kind: "multi-krum"; readonly f: number; readonly m: number }
  | { readonly kind: "bulyan"; readonly f: number };

/** Flower's FedTrimmedAvg default, used by a bare `trimmed-mean`. */
export const DEFAULT_TRIM_BETA = 0.2;

const EXPECTED =
  "mean (or fedavg), median, trimmed-mean[:BETA] (0 <= BETA < 0.5), krum:F, multi-krum:F:M or bulyan:F (F >= 0 and M >= 1 integers)";

function integerPart(text: string | undefined, min: number): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

/**
 * Parses an aggregator spec such as `krum:2`, `multi-krum:2:5` or `trimmed-mean:0.1`.
 * @param option - The name used in errors.
 * @throws OptionsError naming `option` for anything else.
 */
export function parseAggregator(text: string, option = "--aggregator"): AggregatorSpec {
  if (typeof text !== "string") throw new OptionsError(option, text, EXPECTED);
  const [name, ...args] = text.trim().split(":");
  const fail = (): never => {
    throw new OptionsError(option, text, EXPECTED);
  };
  switch (name) {
    case "mean":
    case "fedavg":
      if (args.length !== 0) fail();
      return { kind: "mean" };
    case "median":
      if (args.length !== 0) fail();
      return { kind: "median" };
    case "trimmed-mean": {
      if (args.length > 1) fail();
      if (args.length === 0) return { kind: "trimmed-mean", beta: DEFAULT_TRIM_BETA };
      const beta = Number(args[0]);
      if (args[0]?.trim() === "" || !(beta >= 0 && beta < 0.5)) fail();
      return { kind: "trimmed-mean", beta };
    }
    case "krum":
    case "bulyan": {
      const f = integerPart(args[0], 0);
      if (args.length !== 1 || f === undefined) fail();
      return { kind: name, f: f as number };
    }
    case "multi-krum": {
      const f = integerPart(args[0], 0);
      const m = integerPart(args[1], 1);
      if (args.length !== 2 || f === undefined || m === undefined) fail();
      return { kind: "multi-krum", f: f as number, m: m as number };
    }
    default:
      return fail();
  }
}

/** The spec back as text: `formatAggregator(parseAggregator(s))` is `s` normalised. */
export function formatAggregator(spec: AggregatorSpec): string {
  switch (spec.kind) {
    case "mean":
    case "median":
      return spec.kind;
    case "trimmed-mean":
      return `trimmed-mean:${spec.beta}`;
    case "krum":
    case "bulyan":
      return `${spec.kind}:${spec.f}`;
    case "multi-krum":
      return `multi-krum:${spec.f}:${spec.m}`;
  }
}
