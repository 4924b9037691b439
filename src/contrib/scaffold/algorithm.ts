/**
 * SCAFFOLD (Karimireddy et al., "SCAFFOLD: Stochastic Controlled Averaging for Federated
 * Learning", ICML 2020), option II. The server keeps a control variate c, each client its own
 * c_k (kit client state, zero at first). Locally, K steps of y ← y − η_l (g_k(y) − c_k + c) from
 * y = x; then c_k⁺ = c_k − c + (x − y)/(K η_l); the client sends Δy = y − x and
 * Δc = c_k⁺ − c_k and keeps c_k⁺. The server: x ← x + η_g (1/|S|) Σ Δy; c ← c + (1/N) Σ Δc.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { defineAlgorithm } from "../../kit/algorithm.js";
import { withFederatedEvaluation } from "../federated-evaluation/with-federated-evaluation.js";

/** SCAFFOLD, option II, with a server learning rate. */
export const scaffold = withFederatedEvaluation(
  defineAlgorithm({
    name: "scaffold",
    summary: "SCAFFOLD: control variates correct client drift (Karimireddy et al., ICML 2020)",
    options: z
      .object({
        serverLr: z.number().positive().finite().default(1).describe("server learning rate η_g"),
      })
      .strict(),
    uplink: ["delta", "controlDelta"],
    downlink: ["control"],
    stateLength: ({ numParameters }) => numParameters,
    server: (setup) => {
      const n = setup.initialModel.length;
      let model = setup.initialModel.slice();
      let control = new Float32Array(n);
      const sumDelta = new Float64Array(n);
      const sumControl = new Float64Array(n);
      let count = 0;
      return {
        get model() {
          return model;
        },
        downlink: () => ({ control }),
        fold(update) {
          const { delta, controlDelta } = update.vectors;
          for (let i = 0; i < n; i++) {
            sumDelta[i] = (sumDelta[i] as number) + (delta[i] as number);
            sumControl[i] = (sumControl[i] as number) + (controlDelta[i] as number);
          }
          count++;
        },
        finish() {
          if (count > 0) {
            const step = setup.options.serverLr / count;
            const next = new Float32Array(n);
            const nextControl = new Float32Array(n);
            for (let i = 0; i < n; i++) {
              next[i] = (model[i] as number) + step * (sumDelta[i] as number);
              nextControl[i] =
                (control[i] as number) + (sumControl[i] as number) / setup.numClients;
            }
            model = next;
            control = nextControl;
          }
          sumDelta.fill(0);
          sumControl.fill(0);
          count = 0;
        },
        captureState: () => ({ vectors: { control: control.slice() }, json: null }),
        restoreState(state, restored) {
          model = restored.slice();
          const saved = state.vectors.control;
          control = saved !== undefined ? saved.slice() : new Float32Array(n);
          sumDelta.fill(0);
          sumControl.fill(0);
          count = 0;
        },
      };
    },
    client: async (ctx) => {
      const x = ctx.global;
      const c = ctx.downlink.control;
      const ck = ctx.state as Float32Array;
      const n = x.length;
      const correction = new Float32Array(n);
      for (let i = 0; i < n; i++) correction[i] = (c[i] as number) - (ck[i] as number);
      const terms = ctx.parameterTensors(correction);
      const { steps, loss } = await ctx.localSgd({
        term: (i: number) => terms[i] as tf.Tensor,
      });
      const { delta, controlDelta } = ctx.uplink;
      ctx.model.getFlatParameters(delta); // y, made into y − x below
      const scale = steps > 0 ? 1 / (steps * ctx.training.lr) : 0;
      for (let i = 0; i < n; i++) {
        const y = delta[i] as number;
        const xi = x[i] as number;
        delta[i] = y - xi;
        const next =
          steps > 0 ? (ck[i] as number) - (c[i] as number) + (xi - y) * scale : (ck[i] as number);
        controlDelta[i] = next - (ck[i] as number);
        ck[i] = next;
      }
      return { steps, metrics: { loss } };
    },
  }),
);
