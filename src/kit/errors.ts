/**
 * The kit's checkpoint error.
 * @module
 */
import { BlazeFLError, type BlazeFLErrorOptions } from "../core/errors.js";

/** A checkpoint could not be written or read. */
export class CheckpointError extends BlazeFLError {
  /** @param message - Names the file and the problem. @param options - `cause`. */
  constructor(message: string, options: BlazeFLErrorOptions = {}) {
    super("ERR_CHECKPOINT", message, options);
  }
}
