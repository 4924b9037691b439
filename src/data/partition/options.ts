/**
 * Checks for partitioner parameters; each names the parameter in an {@link OptionsError}.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/** Asserts a finite number > 0 (a Dirichlet concentration, say). */
export function checkPositiveNumber(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw new OptionsError(option, value, "a finite number > 0");
  return value;
}

/** Asserts a finite number >= 0. */
export function checkNonNegativeNumber(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new OptionsError(option, value, "a finite number >= 0");
  return value;
}

/** Asserts an integer >= `min`, or returns `fallback` when `value` is undefined. */
export function checkInteger(
  option: string,
  value: unknown,
  min: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    throw new OptionsError(option, value, `an integer >= ${min}`);
  return value;
}
