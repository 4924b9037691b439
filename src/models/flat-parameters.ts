/**
 * The flat-parameter copy both model kinds share: every variable, in `parameterInfo` order,
 * into or out of one float32 vector (see `HasFlatParameters`).
 * @module
 */

import type { Variable } from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import { tf } from "../engine/tfjs.js";

/** Where one variable sits in the flat vector. */
interface FlatSlot {
  readonly offset: number;
  readonly size: number;
  readonly shape: readonly number[];
}

/** Copies `variables` (laid out by `slots`) into `out`, allocated when omitted, and returns it. */
export function readFlatParameters(
  variables: readonly Variable[],
  slots: readonly FlatSlot[],
  numParameters: number,
  out?: Float32Array,
): Float32Array {
  const flat = out ?? new Float32Array(numParameters);
  if (flat.length !== numParameters)
    throw new OptionsError("out.length", flat.length, `${numParameters}`);
  for (const [i, p] of slots.entries())
    flat.set((variables[i] as Variable).dataSync() as Float32Array, p.offset);
  return flat;
}

/** Overwrites `variables` from `flat` (copied: later changes to `flat` do not leak in). */
export function writeFlatParameters(
  variables: readonly Variable[],
  slots: readonly FlatSlot[],
  numParameters: number,
  flat: Float32Array,
): void {
  if (!(flat instanceof Float32Array)) throw new OptionsError("flat", flat, "a Float32Array");
  if (flat.length !== numParameters)
    throw new OptionsError("flat.length", flat.length, `${numParameters}`);
  tf.tidy(() => {
    for (const [i, p] of slots.entries())
      (variables[i] as Variable).assign(
        tf.tensor(flat.slice(p.offset, p.offset + p.size), [...p.shape], "float32"),
      );
  });
}
