/**
 * The per-client configuration of FedAvg, plain JSON-safe data shared by all three trainers.
 * @module
 */
import type { FederatedDatasetSpec } from "../../data/federated/federated-dataset-spec.js";

/** The model names FedAvg trains. */
export type FedAvgModelName = "mlp" | "cnn" | "logreg";

/** Everything a client needs besides the downlink package. */
export interface FedAvgClientConfig {
  /** The run's seed: a client's batch order is a pure function of (seed, cid, round). */
  readonly seed: number;
  /** Local epochs. */
  readonly epochs: number;
  /** Local batch size. */
  readonly batchSize: number;
  /** SGD learning rate. */
  readonly lr: number;
  /** SGD momentum (0 for plain SGD). */
  readonly momentum: number;
  /** SGD weight decay. */
  readonly weightDecay: number;
  /** The model to train. */
  readonly modelName: FedAvgModelName;
  /** The federated dataset, rebuilt once per worker from this spec. */
  readonly dataset: FederatedDatasetSpec;
}
