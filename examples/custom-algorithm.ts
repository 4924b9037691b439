// A new FL algorithm in one file: FedProx written from scratch on the algorithm kit, trained on
// every trainer kind from the same definition. Run it with:
//
//   npx tsx examples/custom-algorithm.ts [--trainer serial|thread|process] [--rounds N]
//
// The module is imported by every worker (that is how the client part reaches them), so the
// main code below runs only outside the pool workers.
import { parseArgs } from "node:util";
import type { Tensor } from "@tensorflow/tfjs";
// blazefl's tf is tfjs without the parts no worker needs: every worker imports this module.
import { defineAlgorithm, isPoolWorker, ModelAverageServer, runExperiment, tf } from "blazefl";
import { z } from "zod";

/** FedProx: each local step adds μ (w − x_t), the gradient of (μ/2)‖w − x_t‖². */
export const myFedProx = defineAlgorithm({
  name: "my-fedprox",
  summary: "FedProx in 20 lines: FedAvg plus a proximal term",
  options: z.object({ mu: z.number().min(0).default(0.1).describe("proximal weight μ") }).strict(),
  // The server averages the clients' models, weighted by their sample counts.
  server: ({ initialModel }) => new ModelAverageServer(initialModel),
  // The client trains from the global model with the extra gradient term, then sends its model.
  client: async (ctx) => {
    const anchors = ctx.parameterTensors(ctx.global);
    const { steps, loss } = await ctx.localSgd({
      term: (i, w) => tf.mul(tf.sub(w, anchors[i] as Tensor), ctx.options.mu),
    });
    ctx.model.getFlatParameters(ctx.uplink.model);
    return { steps, metrics: { loss } };
  },
});

if (!isPoolWorker()) {
  const { values } = parseArgs({
    options: {
      trainer: { type: "string", default: "process" },
      rounds: { type: "string", default: "5" },
    },
  });
  const summary = await runExperiment(
    {
      algorithm: myFedProx,
      algorithmModule: import.meta.url,
      mu: 1,
      dataset: "synthetic",
      clients: 30,
      sampleRatio: 1 / 3,
      rounds: values.rounds,
      epochs: 2,
      batchSize: 10,
      trainer: values.trainer,
      parallels: 2,
    },
    { stdout: (line) => console.log(line) },
  );
  console.log(JSON.stringify(summary));
}
