/**
 * Engine-neutral model (de)serialisation: every weight, trainable or not, as one flat
 * Float32Array in a fixed, documented order. The tfjs models implement {@link HasFlatParameters}.
 *
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

/**
 * Returns all of `model`'s weights as one flat vector (BlazeFL's `serialize_model`).
 * @param model - The model.
 * @param out - Optional destination with exactly `model.numParameters` elements.
 */
export function serializeModel(model: HasFlatParameters, out?: Float32Array): Float32Array {
  if (out !== undefined && out.length !== model.numParameters)
    throw new OptionsError(
      "out.length",
      out.length,
      `${model.numParameters} (the model's parameter count)`,
    );
  return model.getFlatParameters(out);
}

/**
 * Overwrites all of `model`'s weights from `flat` (BlazeFL's `deserialize_model`).
 * @param model - The model.
 * @param flat - A vector of exactly `model.numParameters` float32 values.
 */
export function deserializeModel(model: HasFlatParameters, flat: Float32Array): void {
  if (!(flat instanceof Float32Array)) throw new OptionsError("flat", flat, "a Float32Array");
  if (flat.length !== model.numParameters)
    throw new OptionsError(
      "flat.length",
      flat.length,
      `${model.numParameters} (the model's parameter count)`,
    );
  model.setFlatParameters(flat);
}
