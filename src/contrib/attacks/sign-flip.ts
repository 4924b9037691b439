/**
 * The sign-flip attack: the client sends -s times its honest update, pulling the average away
 * from the descent direction.
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/**
 * -scale * update, as a new array.
 * @param update - The honest update Delta = x_client - x_global (not the model).
 * @param scale - s > 0. @default 1
 */
export function signFlip(update: Float32Array, scale = 1): Float32Array {
  if (typeof scale !== "number" || !(scale > 0) || !Number.isFinite(scale))
    throw new OptionsError("scale", scale, "a finite number > 0");
  const out = new Float32Array(update.length);
  for (let i = 0; i < out.length; i++) out[i] = -scale * (update[i] as number);
  return out;
}
