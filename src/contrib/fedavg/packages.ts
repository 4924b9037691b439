/**
 * The packages FedAvg exchanges between the server and its clients.
 * @module
 */

/** Server to client: the global model. */
export interface FedAvgDownlinkPackage {
  /** The global model's flat parameters (see `serializeModel`). */
  readonly modelParameters: Float32Array;
  /** The 0-based round this package starts; clients derive their randomness from it. */
  readonly round: number;
}

/** Client to server: the locally trained model and its weight. */
export interface FedAvgUplinkPackage {
  /** The client that produced this package. */
  readonly cid: number;
  /** The locally trained model's flat parameters. */
  readonly modelParameters: Float32Array;
  /** The number of samples the client trained on (its aggregation weight). */
  readonly dataSize: number;
  /** Optional numbers for reports: the mean training loss and the pure training time. */
  readonly metadata?: { readonly loss: number; readonly trainSeconds?: number };
}
