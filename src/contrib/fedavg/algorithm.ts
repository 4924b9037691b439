/**
 * FedAvg (McMahan et al., "Communication-Efficient Learning of Deep Networks from Decentralized
 * Data", AISTATS 2017) as a kit algorithm: clients run local SGD from the global model, the
 * server averages their models weighted by sample count, x ← Σ n_k x_k / Σ n_k.
 * @module
 */
import { z } from "zod";
import { defineAlgorithm } from "../../kit/algorithm.js";
import { ModelAverageServer } from "../../kit/model-average-server.js";
import { withFederatedEvaluation } from "../federated-evaluation/with-federated-evaluation.js";

/** FedAvg: no options of its own (the local-training flags are the run's). */
export const fedAvg = withFederatedEvaluation(
  defineAlgorithm({
    name: "fedavg",
    summary: "FedAvg: sample-weighted average of locally trained models (McMahan et al. 2017)",
    options: z.object({}).strict(),
    server: (setup) => new ModelAverageServer(setup.initialModel),
    client: async (ctx) => {
      const { steps, loss } = await ctx.localSgd();
      ctx.model.getFlatParameters(ctx.uplink.model);
      return { steps, metrics: { loss } };
    },
  }),
);
