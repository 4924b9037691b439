/**
 * The flat-parameter copy both model kinds share: every variable, in `parameterInfo` order,
 * into or out of one float32 vector (see `HasFlatParameters`).
 * @module
 */

import type { Variable } from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import { copyTensorData, tryOverwriteInPlace } from "../engine/native/copy-tensor-data.js";
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
  // Copied without pinning the buffers, so that the in-place SGD step keeps working on them.
  for (const [i, p] of slots.entries()) copyTensorData(variables[i] as Variable, flat, p.offset);
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
    for (const [i, p] of slots.entries()) {
      const variable = variables[i] as Variable;
      const values = flat.subarray(p.offset, p.offset + p.size);
      if (!tryOverwriteInPlace(variable, values))
        variable.assign(tf.tensor(values.slice(), [...p.shape], "float32"));
    }
  });
}
