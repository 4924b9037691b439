/**
 * {@link FedAvgProcessPoolClientTrainer}: FedAvg's clients in parallel child processes.
 * This module is imported by every worker process, so it has no top-level side effects.
 * @module
 */

import type { ClientJob, WorkerContext } from "../../core/pool/trainer-options.js";
import { ProcessPoolClientTrainer } from "../../core/process-pool-trainer.js";
import type { StopEvent } from "../../core/stop-event.js";
import type { FedAvgClientConfig } from "./client-config.js";
import { trainFedAvgClient } from "./client-training.js";
import type { FedAvgDownlinkPackage, FedAvgUplinkPackage } from "./packages.js";
import {
  checkFedAvgTrainerOptions,
  type FedAvgTrainerOptions,
  fedAvgResultBuffer,
  reportJobs,
} from "./trainer-options.js";

/** Options of {@link FedAvgProcessPoolClientTrainer}. */
export interface FedAvgPoolTrainerOptions extends FedAvgTrainerOptions {
  /** The number of worker processes (or threads). */
  readonly numParallels: number;
}

/** FedAvg on {@link ProcessPoolClientTrainer}: workers stay alive across rounds. */
export class FedAvgProcessPoolClientTrainer extends ProcessPoolClientTrainer<
  FedAvgUplinkPackage,
  FedAvgDownlinkPackage,
  FedAvgClientConfig
> {
  readonly #options: FedAvgPoolTrainerOptions;
  /** The pool reads only the layout of this package, so one object serves every client. */
  readonly #resultLayout: FedAvgUplinkPackage;

  /** @param options - See {@link FedAvgPoolTrainerOptions}. */
  constructor(options: FedAvgPoolTrainerOptions) {
    checkFedAvgTrainerOptions(options);
    super({
      numParallels: options.numParallels,
      workerModule: import.meta.url,
      workerExport: "FedAvgProcessPoolClientTrainer",
      reuseResultBuffers: true,
      ...(options.device !== undefined ? { device: options.device } : {}),
    });
    this.#options = options;
    this.#resultLayout = fedAvgResultBuffer(options.numParameters);
  }

  /** Every client shares the run's configuration. */
  getClientConfig(_cid: number): FedAvgClientConfig {
    return this.#options.config;
  }

  override prepareUplinkPackageBuffer(_cid: number): FedAvgUplinkPackage {
    return this.#resultLayout;
  }

  override progressFn(
    jobs: readonly ClientJob<FedAvgUplinkPackage>[],
  ): Iterable<ClientJob<FedAvgUplinkPackage>> {
    return reportJobs(jobs, this.#options.onClientDone);
  }

  /** Trains one client with `trainFedAvgClient`, inside a worker process. */
  static override worker(
    config: FedAvgClientConfig,
    payload: FedAvgDownlinkPackage,
    device: string,
    stopEvent: StopEvent,
    { cid, shmBuffer }: WorkerContext<FedAvgUplinkPackage>,
  ): Promise<FedAvgUplinkPackage> {
    return trainFedAvgClient({ cid, config, payload, device, stopEvent, shmBuffer });
  }
}
