/**
 * Options shared by FedAvg's three client trainers, and the pieces of them they share.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import type { FedAvgClientConfig } from "./client-config.js";
import type { FedAvgUplinkPackage } from "./packages.js";

/** Options of every FedAvg client trainer. */
export interface FedAvgTrainerOptions {
  /** The configuration every client trains with. */
  readonly config: FedAvgClientConfig;
  /** The model's parameter count: the size of each client's shared result buffer. */
  readonly numParameters: number;
  /** The device. @default "cpu" */
  readonly device?: string;
  /** Called in the parent each time a client's result arrives (progress bars). */
  readonly onClientDone?: (cid: number) => void;
}

/** Validates the FedAvg-specific options. */
export function checkFedAvgTrainerOptions(options: FedAvgTrainerOptions): void {
  if (options === null || typeof options !== "object")
    throw new OptionsError("options", options, "a FedAvgTrainerOptions object");
  if (options.config === null || typeof options.config !== "object")
    throw new OptionsError("config", options.config, "a FedAvgClientConfig object");
  assertPositiveInteger("numParameters", options.numParameters);
  if (options.onClientDone !== undefined && typeof options.onClientDone !== "function")
    throw new OptionsError("onClientDone", options.onClientDone, "a function");
}

/** The shared result buffer of one client: its parameters go straight into shared memory. */
export function fedAvgResultBuffer(numParameters: number): FedAvgUplinkPackage {
  return {
    cid: 0,
    modelParameters: new Float32Array(numParameters),
    dataSize: 0,
    metadata: { loss: 0 },
  };
}

export { reportJobs } from "../../kit/kit-trainers.js";
