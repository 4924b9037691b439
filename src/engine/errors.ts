/**
 * The engine layer's errors.
 * @module
 */
import { BlazeFLError, type BlazeFLErrorOptions } from "../core/errors.js";

/** The training engine failed to initialise, or a kernel failed. */
export class EngineError extends BlazeFLError {
  /** @param message - What failed. @param options - `cause`, kept on the error. */
  constructor(message: string, options: BlazeFLErrorOptions = {}) {
    super("ERR_ENGINE", message, options);
  }
}

/** The device string is unknown, or its backend package is not installed. */
export class DeviceError extends BlazeFLError {
  /** @param message - Names the device and what is missing. @param options - `cause`. */
  constructor(message: string, options: BlazeFLErrorOptions = {}) {
    super("ERR_DEVICE", message, options);
  }
}
