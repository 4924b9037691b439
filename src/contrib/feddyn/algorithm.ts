/**
 * FedDyn (Acar, Zhao, Matas, Mattina, Whatmough and Saligrama, "Federated Learning Based on
 * Dynamic Regularization", ICLR 2021, Algorithm 1) as a kit algorithm. Client k keeps g_k (kit
 * client state, zero at first) and trains on L_k(θ) − ⟨g_k, θ⟩ + (α/2)‖θ − x_t‖², i.e. each
 * local step adds −g_k + α (θ − x_t) to the gradient; then g_k ← g_k − α (θ_k − x_t) and it sends
 * θ_k. The server keeps h (zero at first): h ← h − (α/N) Σ_{k∈S} (θ_k − x_t);
 * x_{t+1} = (1/|S|) Σ θ_k − h/α.
 * @module
 */

import type { Tensor } from "@tensorflow/tfjs";
import { z } from "zod";
import { tf } from "../../engine/tfjs.js";
import { defineAlgorithm } from "../../kit/algorithm.js";
import type { GradientTerm } from "../../models/gradient-term.js";
import { withFederatedEvaluation } from "../federated-evaluation/with-federated-evaluation.js";
import { FedDynAggregate, updateFedDynClientState } from "./dynamic-regularisation.js";

/**
 * The gradient term of FedDyn's local objective, −g_k + α (θ − x_t), per parameter tensor
 * (`anchors` = x_t split like the model, `linear` = g_k split likewise).
 */
export function fedDynTerm(
  alpha: number,
  anchors: readonly Tensor[],
  linear: readonly Tensor[],
): GradientTerm {
  return (i, w) => tf.sub(tf.mul(tf.sub(w, anchors[i] as Tensor), alpha), linear[i] as Tensor);
}

/** FedDyn's options. */
export const fedDynOptionsSchema = z
  .object({
    alpha: z
      .number()
      .positive()
      .finite()
      .default(0.01)
      .describe("dynamic regularisation weight α (the paper: 0.1, 0.01 or 0.001)"),
  })
  .strict();

/** FedDyn: `--alpha`. */
export const fedDyn = withFederatedEvaluation(
  defineAlgorithm<typeof fedDynOptionsSchema, "model", never>({
    name: "feddyn",
    summary:
      "FedDyn: dynamic regularisation aligns local and global optima (Acar et al., ICLR 2021)",
    options: fedDynOptionsSchema,
    stateLength: ({ numParameters }) => numParameters,
    server: (setup) => {
      const n = setup.initialModel.length;
      const { alpha } = setup.options;
      const aggregate = new FedDynAggregate(n);
      let model = setup.initialModel.slice();
      let h = new Float32Array(n);
      return {
        get model() {
          return model;
        },
        fold(update) {
          if (update.weight > 0) aggregate.add(update.vectors.model, model);
        },
        finish() {
          if (aggregate.count > 0) {
            const next = model.slice();
            aggregate.apply(next, h, alpha, setup.numClients);
            model = next;
          }
          aggregate.reset();
        },
        captureState: () => ({ vectors: { h: h.slice() }, json: null }),
        restoreState(state, restored) {
          model = restored.slice();
          h = state.vectors.h?.slice() ?? new Float32Array(n);
          aggregate.reset();
        },
      };
    },
    client: async (ctx) => {
      const { alpha } = ctx.options;
      const x = ctx.global;
      const g = ctx.state as Float32Array;
      const anchors = ctx.parameterTensors(x);
      const linear = ctx.parameterTensors(g);
      const { steps, loss } = await ctx.localSgd({ term: fedDynTerm(alpha, anchors, linear) });
      const theta = ctx.uplink.model;
      ctx.model.getFlatParameters(theta);
      updateFedDynClientState(g, theta, x, alpha);
      return { steps, metrics: { loss } };
    },
  }),
);
