/**
 * The distributed layer's error.
 * @module
 */
import { BlazeFLError, type BlazeFLErrorOptions } from "../core/errors.js";

/** The distributed trainer or worker failed (Redis unreachable, malformed job, ...). */
export class DistributedError extends BlazeFLError {
  /** @param message - What failed. @param options - `cause`, kept on the error. */
  constructor(message: string, options: BlazeFLErrorOptions = {}) {
    super("ERR_DISTRIBUTED", message, options);
  }
}
