/**
 * {@link FedAvgSerialClientTrainer}: FedAvg's clients one after another in this thread.
 * @module
 */
import type { ClientJob, WorkerContext } from "../../core/pool/trainer-options.js";
import { SerialClientTrainer } from "../../core/serial-client-trainer.js";
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

/** FedAvg's serial trainer: the reference the pool trainers match bit for bit. */
export class FedAvgSerialClientTrainer extends SerialClientTrainer<
  FedAvgUplinkPackage,
  FedAvgDownlinkPackage,
  FedAvgClientConfig
> {
  readonly #options: FedAvgTrainerOptions;

  /** @param options - See {@link FedAvgTrainerOptions}. */
  constructor(options: FedAvgTrainerOptions) {
    checkFedAvgTrainerOptions(options);
    super(options.device !== undefined ? { device: options.device } : {});
    this.#options = options;
  }

  /** Every client shares the run's configuration. */
  getClientConfig(_cid: number): FedAvgClientConfig {
    return this.#options.config;
  }

  override prepareUplinkPackageBuffer(_cid: number): FedAvgUplinkPackage {
    return fedAvgResultBuffer(this.#options.numParameters);
  }

  override progressFn(
    jobs: readonly ClientJob<FedAvgUplinkPackage>[],
  ): Iterable<ClientJob<FedAvgUplinkPackage>> {
    return reportJobs(jobs, this.#options.onClientDone);
  }

  /** Trains one client with {@link trainFedAvgClient}. */
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
