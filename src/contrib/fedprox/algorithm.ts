/**
 * FedProx (Li et al., "Federated Optimization in Heterogeneous Networks", MLSys 2020): FedAvg
 * whose clients minimise F_k(w) + (μ/2)‖w − x_t‖², so each local step is
 * w ← w − η_l (∇F_k(w) + μ (w − x_t)); μ = 0 is FedAvg. The paper's systems heterogeneity is
 * simulated with `--stragglers FRACTION`: a seeded fraction of each round's clients are
 * stragglers that run a random 1..E−1 epochs (FedProx keeps their partial work) or, with
 * `--drop-stragglers`, are dropped (the paper's FedAvg baseline).
 * @module
 */

import type { Tensor, Variable } from "@tensorflow/tfjs";
import { z } from "zod";
import { OptionsError } from "../../core/errors.js";
import { tf } from "../../engine/tfjs.js";
import { defineAlgorithm } from "../../kit/algorithm.js";
import { ModelAverageServer } from "../../kit/model-average-server.js";
import { seededSubset } from "../../kit/sampling.js";
import { clientStream } from "../../reproducibility/client-stream.js";
import { withFederatedEvaluation } from "../federated-evaluation/with-federated-evaluation.js";

const STRAGGLER_DOMAIN = 0x7374_7267; // "strg"
const STRAGGLER_STREAM = 0x5354; // the client stream of a straggler's epoch count

/** The per-client setting FedProx's server sends a straggler. */
interface StragglerConfig {
  readonly epochs?: number;
  readonly drop?: boolean;
}

/** FedProx with the paper's stragglers option. */
export const fedProx = withFederatedEvaluation(
  defineAlgorithm({
    name: "fedprox",
    summary:
      "FedProx: FedAvg with a proximal term μ/2‖w − x‖² and stragglers (Li et al., MLSys 2020)",
    clientMetrics: ["dropped"],
    options: z
      .object({
        mu: z.number().min(0).finite().default(0.01).describe("proximal term weight μ (0: FedAvg)"),
        stragglers: z
          .number()
          .min(0)
          .lt(1)
          .default(0)
          .describe("fraction of each round's clients that are stragglers (run 1..E-1 epochs)"),
        dropStragglers: z
          .boolean()
          .default(false)
          .describe("drop stragglers instead of keeping their partial work (the paper's FedAvg)"),
      })
      .strict(),
    server: (setup) => {
      if (setup.options.stragglers > 0 && setup.training.epochs < 2)
        throw new OptionsError(
          "--stragglers",
          setup.options.stragglers,
          `0 when --epochs is ${setup.training.epochs} (a straggler runs 1..E-1 epochs, so E must be at least 2)`,
        );
      const server = new ModelAverageServer(setup.initialModel);
      let stragglers: { round: number; ids: Set<number> } | undefined;
      return {
        get model() {
          return server.model;
        },
        clientConfig(cid, round, sampled) {
          if (setup.options.stragglers === 0) return undefined;
          if (stragglers?.round !== round)
            stragglers = {
              round,
              ids: new Set(
                seededSubset(
                  sampled,
                  setup.options.stragglers,
                  setup.seed,
                  round,
                  STRAGGLER_DOMAIN,
                ),
              ),
            };
          if (!stragglers.ids.has(cid)) return undefined;
          if (setup.options.dropStragglers) return { drop: true };
          const rng = clientStream(setup.seed, cid, round, STRAGGLER_STREAM);
          return { epochs: rng.int(1, setup.training.epochs - 1) };
        },
        fold: (update) => server.fold(update),
        finish: (round) => server.finish(round),
        captureState: () => server.captureState(),
        restoreState: (state, model) => server.restoreState(state, model),
      };
    },
    client: async (ctx) => {
      const straggler = (ctx.clientConfig ?? {}) as StragglerConfig;
      if (straggler.drop === true) {
        ctx.uplink.model.set(ctx.global);
        return { weight: 0, metrics: { dropped: 1 } };
      }
      const mu = ctx.options.mu;
      const anchors = mu > 0 ? ctx.parameterTensors(ctx.global) : [];
      const { steps, loss } = await ctx.localSgd({
        ...(straggler.epochs !== undefined ? { epochs: straggler.epochs } : {}),
        ...(mu > 0
          ? { term: (i: number, w: Variable) => tf.mul(tf.sub(w, anchors[i] as Tensor), mu) }
          : {}),
      });
      ctx.model.getFlatParameters(ctx.uplink.model);
      return { steps, metrics: { loss } };
    },
  }),
);
