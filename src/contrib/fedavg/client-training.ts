/**
 * {@link trainFedAvgClient}: one FedAvg client in the package shapes of `FedAvgServerHandler`
 * (BlazeFL-style code and the Redis worker use them). It runs the kit's FedAvg client
 * (`runKitClient`), so there is one training loop in the code base.
 * @module
 */
import type { ClientTaskContext } from "../../core/pool/trainer-options.js";
import { runKitClient } from "../../kit/client-runner.js";
import { algorithmRef } from "../../kit/registry.js";
import { resolveModelSpec } from "../../models/create-model.js";
import type { FedAvgClientConfig } from "./client-config.js";
import type { FedAvgDownlinkPackage, FedAvgUplinkPackage } from "./packages.js";

/** The argument of {@link trainFedAvgClient}. */
export type FedAvgClientContext = ClientTaskContext<
  FedAvgUplinkPackage,
  FedAvgDownlinkPackage,
  FedAvgClientConfig
>;

/**
 * Trains one client: `epochs` passes of SGD from the global model over the client's data, in an
 * order drawn from `clientStream(seed, cid, round)`; the result goes into the shared buffer when
 * there is one. A set stop event makes it return early (the trainer then rejects the call).
 */
export async function trainFedAvgClient(
  context: FedAvgClientContext,
): Promise<FedAvgUplinkPackage> {
  const { cid, config, payload, device, stopEvent, shmBuffer } = context;
  const { modelName, dataset, ...training } = config;
  const result = await runKitClient({
    cid,
    config: {
      algorithm: algorithmRef("fedavg"),
      options: {},
      training,
      model: resolveModelSpec(modelName),
      dataset,
    },
    payload: { round: payload.round, model: payload.modelParameters, vectors: {} },
    device,
    stopEvent,
    shmBuffer:
      shmBuffer !== undefined
        ? { cid, weight: 0, steps: 0, metrics: {}, vectors: { model: shmBuffer.modelParameters } }
        : undefined,
  });
  const model = result.vectors.model as Float32Array;
  return {
    cid,
    modelParameters: model,
    // The server handler's weights must be positive: a client without data counts once.
    dataSize: Math.max(result.weight, 1),
    metadata: {
      loss: result.metrics.loss ?? Number.NaN,
      trainSeconds: result.metrics.trainSeconds ?? 0,
    },
  };
}
