/**
 * FedNova (Wang, Liu, Liang, Joshi and Poor, "Tackling the Objective Inconsistency Problem in
 * Heterogeneous Federated Optimization", NeurIPS 2020) as a kit algorithm, for plain or
 * momentum local SGD. Clients train as in FedAvg (E epochs, so a client with more data takes
 * more steps τ_k) and report τ_k; the server normalises: d_k = (x − y_k)/‖a_k‖₁ (τ_k for plain
 * SGD), τ_eff = Σ p_k ‖a_k‖₁, x ← x − η_g τ_eff Σ p_k d_k, with p_k = n_k / Σ n_k. With equal
 * step counts and η_g = 1 it is FedAvg, bit for bit.
 * @module
 */
import { z } from "zod";
import { defineAlgorithm } from "../../kit/algorithm.js";
import { fedAvg } from "../fedavg/algorithm.js";
import { withFederatedEvaluation } from "../federated-evaluation/with-federated-evaluation.js";
import { FedNovaAverage, fedNovaNormaliser } from "./normalised-average.js";

/** FedNova's options. */
export const fedNovaOptionsSchema = z
  .object({
    serverLr: z.number().positive().finite().default(1).describe("server learning rate η_g"),
    weighted: z
      .boolean()
      .default(true)
      .describe("p_k = n_k / n as in the paper (false: uniform 1/|S|)"),
  })
  .strict();

/** FedNova: `--server-lr`, `--weighted`; reports `tauEffective` per round. */
export const fedNova = withFederatedEvaluation(
  defineAlgorithm<typeof fedNovaOptionsSchema, "model", never>({
    name: "fednova",
    summary: "FedNova: normalised averaging of updates by local steps (Wang et al., NeurIPS 2020)",
    options: fedNovaOptionsSchema,
    server: (setup) => {
      const nova = new FedNovaAverage(setup.initialModel.length);
      const { serverLr, weighted } = setup.options;
      let model = setup.initialModel.slice();
      let tauEffective: number | null = null;
      return {
        get model() {
          return model;
        },
        fold(update) {
          if (update.weight <= 0 || update.steps <= 0) return;
          const normaliser = fedNovaNormaliser(update.steps, setup.training.momentum);
          nova.add(update.vectors.model, weighted ? update.weight : 1, normaliser);
        },
        finish() {
          tauEffective = null;
          if (nova.count > 0) {
            tauEffective = nova.effectiveSteps;
            const next = model.slice();
            nova.apply(next, serverLr);
            model = next;
          }
          nova.reset();
        },
        roundMetrics: () => ({ tauEffective }),
        captureState: () => ({ vectors: {}, json: null }),
        restoreState(_state, restored) {
          model = restored.slice();
          nova.reset();
        },
      };
    },
    // FedAvg's client: E epochs of local SGD from x_t; the kit reports the steps taken.
    client: (ctx) => fedAvg.client(ctx as never),
  }),
);
