/**
 * {@link FedAvgThreadPoolClientTrainer}: FedAvg's clients in parallel worker threads.
 * This module is imported by every worker thread, so it has no top-level side effects.
 * @module
 */
import type { ClientJob, ThreadWorkerContext } from "../../core/pool/trainer-options.js";
import type { StopEvent } from "../../core/stop-event.js";
import { ThreadPoolClientTrainer } from "../../core/thread-pool-trainer.js";
import type { FedAvgClientConfig } from "./client-config.js";
import { trainFedAvgClient } from "./client-training.js";
import type { FedAvgDownlinkPackage, FedAvgUplinkPackage } from "./packages.js";
import type { FedAvgPoolTrainerOptions } from "./process-pool-trainer.js";
import { checkFedAvgTrainerOptions, fedAvgResultBuffer, reportJobs } from "./trainer-options.js";

/** FedAvg on {@link ThreadPoolClientTrainer}: payload and results in SharedArrayBuffers. */
export class FedAvgThreadPoolClientTrainer extends ThreadPoolClientTrainer<
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
      workerExport: "FedAvgThreadPoolClientTrainer",
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

  /** Trains one client with `trainFedAvgClient`, inside a worker thread. */
  static override worker(
    cid: number,
    device: string,
    payload: FedAvgDownlinkPackage,
    stopEvent: StopEvent,
    { config, shmBuffer }: ThreadWorkerContext<FedAvgUplinkPackage, FedAvgClientConfig>,
  ): Promise<FedAvgUplinkPackage> {
    return trainFedAvgClient({ cid, config, payload, device, stopEvent, shmBuffer });
  }
}
