/**
 * Engine-neutral model (de)serialisation: every weight, trainable or not, as one flat
 * Float32Array in a fixed, documented order. The tfjs models implement {@link HasFlatParameters}.
 * @module
 */
import { OptionsError } from "./errors.js";

/** A model whose parameters can be read and written as one flat float32 vector. */
export interface HasFlatParameters {
  /** The total number of float32 parameters. */
  readonly numParameters: number;
  /** Copies every parameter, in the model's fixed order, into a new (or the given) array. */
  getFlatParameters(out?: Float32Array): Float32Array;
  /** Overwrites every parameter from `flat`, which must have `numParameters` elements. */
  setFlatParameters(flat: Float32Array): void;
}

function checkLength(option: string, length: number, model: HasFlatParameters): void {
  if (length !== model.numParameters)
    throw new OptionsError(option, length, `${model.numParameters} (the model's parameter count)`);
}

/** All of `model`'s weights as one flat vector, into `out` if given (BlazeFL's `serialize_model`). */
export function serializeModel(model: HasFlatParameters, out?: Float32Array): Float32Array {
  if (out !== undefined) checkLength("out.length", out.length, model);
  return model.getFlatParameters(out);
}

/** Overwrites all of `model`'s weights from `flat` (BlazeFL's `deserialize_model`). */
export function deserializeModel(model: HasFlatParameters, flat: Float32Array): void {
  if (!(flat instanceof Float32Array)) throw new OptionsError("flat", flat, "a Float32Array");
  checkLength("flat.length", flat.length, model);
  model.setFlatParameters(flat);
}
