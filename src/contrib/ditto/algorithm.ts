/**
 * Ditto (Li, Hu, Beirami and Smith, "Ditto: Fair and Robust Federated Learning Through
 * Personalization", ICML 2021, Algorithm 1) as a kit algorithm. Each sampled client k
 * (1) trains the global model as in FedAvg from x_t and sends it (the server averages, weighted
 * by samples), and (2) trains its personal model v_k (kit client state; v_k = x_0, the initial
 * global model, before its first round, as in the paper) on F_k(v) + (λ/2)‖v − x_t‖²:
 * v ← v − η (∇F_k(v) + λ (v − x_t)). Each round's metrics give the personal models' accuracy on
 * each sampled client's own test split (`personalAccuracy…`) beside the received global model's
 * on the same splits (`federatedAccuracy…`).
 * @module
 */

import type { Tensor, Variable } from "@tensorflow/tfjs";
import { z } from "zod";
import { tf } from "../../engine/tfjs.js";
import { defineAlgorithm } from "../../kit/algorithm.js";
import { ModelAverageServer } from "../../kit/model-average-server.js";
import { AccuracySpread, accuracyMetrics } from "../federated-evaluation/accuracy-spread.js";
import {
  FEDERATED_ACCURACY,
  FEDERATED_COUNT,
} from "../federated-evaluation/with-federated-evaluation.js";

const PERSONAL_STREAM = 0x5044; // "PD": the personal loop's batch order, apart from the global one's
const PERSONAL_ACCURACY = "personalAccuracy";

/** Ditto's options. */
export const dittoOptionsSchema = z
  .object({
    lambda: z
      .number()
      .min(0)
      .finite()
      .default(0.1)
      .describe("weight λ of ‖v − x‖²/2 in the personal objective (0: local training only)"),
    personalEpochs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("epochs of the personal loop (default: --epochs)"),
    personalLr: z
      .number()
      .positive()
      .finite()
      .optional()
      .describe("learning rate of the personal loop (default: --lr)"),
  })
  .strict();

/** Ditto: `--lambda`, `--personal-epochs`, `--personal-lr`. */
export const ditto = defineAlgorithm<typeof dittoOptionsSchema, "model", "initial">({
  name: "ditto",
  summary: "Ditto: personal models regularised towards the global one (Li et al., ICML 2021)",
  options: dittoOptionsSchema,
  downlink: ["initial"],
  stateLength: ({ numParameters }) => numParameters,
  server: (setup) => {
    const average = new ModelAverageServer(setup.initialModel);
    // x_0 is a pure function of the seed: the same after a resume, so it needs no checkpoint.
    const initial = setup.initialModel.slice();
    const personal = new AccuracySpread();
    const global = new AccuracySpread();
    return {
      get model() {
        return average.model;
      },
      downlink: () => ({ initial }),
      fold(update) {
        const count = update.metrics[FEDERATED_COUNT] ?? 0;
        personal.add(update.metrics[PERSONAL_ACCURACY] ?? Number.NaN, count);
        global.add(update.metrics[FEDERATED_ACCURACY] ?? Number.NaN, count);
        average.fold(update);
      },
      finish: (round) => average.finish(round),
      roundMetrics: () => ({
        ...accuracyMetrics("personal", personal.take()),
        ...accuracyMetrics("federated", global.take()),
      }),
      captureState: () => average.captureState(),
      restoreState: (state, model) => average.restoreState(state, model),
    };
  },
  client: async (ctx) => {
    const { lambda, personalEpochs, personalLr } = ctx.options;
    const globalEvaluation = ctx.evaluate(); // ctx.model holds x_t
    // (1) The global model's local update, as in FedAvg.
    const { steps, loss } = await ctx.localSgd();
    ctx.model.getFlatParameters(ctx.uplink.model);
    // (2) The personal model's update, regularised towards x_t.
    const v = ctx.state as Float32Array;
    ctx.model.setFlatParameters(ctx.hasState ? v : ctx.downlink.initial);
    const anchors = lambda > 0 ? ctx.parameterTensors(ctx.global) : [];
    const personalRun = await ctx.localSgd({
      epochs: personalEpochs ?? ctx.training.epochs,
      stream: PERSONAL_STREAM,
      ...(personalLr !== undefined ? { lr: personalLr } : {}),
      ...(lambda > 0
        ? {
            term: (i: number, w: Variable) => tf.mul(tf.sub(w, anchors[i] as Tensor), lambda),
          }
        : {}),
    });
    ctx.model.getFlatParameters(v);
    const personalEvaluation = ctx.evaluate();
    return {
      steps,
      metrics: {
        loss,
        personalLoss: personalRun.loss,
        [PERSONAL_ACCURACY]: personalEvaluation.accuracy,
        [FEDERATED_ACCURACY]: globalEvaluation.accuracy,
        [FEDERATED_COUNT]: globalEvaluation.count,
      },
    };
  },
});
