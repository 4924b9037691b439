/**
 * Small validators shared by constructors and entry points. Each throws an {@link OptionsError}
 * that names the option, the value and what was expected.
 * @module
 */
import { OptionsError } from "./errors.js";

/** Asserts that `value` is an integer >= 1. */
export function assertPositiveInteger(option: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new OptionsError(option, value, "a positive integer");
}

/** Asserts that `value` is an integer >= 0. */
export function assertNonNegativeInteger(option: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    throw new OptionsError(option, value, "a non-negative integer");
}

/** Asserts that `value` is a finite number. */
export function assertFiniteNumber(option: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new OptionsError(option, value, "a finite number");
}

/** Asserts that `cids` is an array of distinct client ids (non-negative safe integers). */
export function assertClientIds(option: string, cids: unknown): asserts cids is readonly number[] {
  if (!Array.isArray(cids)) throw new OptionsError(option, cids, "an array of client ids");
  const seen = new Set<number>();
  for (const [i, cid] of cids.entries()) {
    if (typeof cid !== "number" || !Number.isSafeInteger(cid) || cid < 0)
      throw new OptionsError(`${option}[${i}]`, cid, "a non-negative integer client id");
    if (seen.has(cid))
      throw new OptionsError(`${option}[${i}]`, cid, "a client id not already in the list");
    seen.add(cid);
  }
}
