/**
 * The data layer's error.
 * @module
 */
import { BlazeFLError, type BlazeFLErrorOptions } from "../core/errors.js";

/** A dataset file is missing, truncated or corrupt, or a partition cannot be made. */
export class DataError extends BlazeFLError {
  /** @param message - Names the file and the problem. @param options - `cause`. */
  constructor(message: string, options: BlazeFLErrorOptions = {}) {
    super("ERR_DATA", message, options);
  }
}
