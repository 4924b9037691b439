/**
 * {@link defineFedOptAlgorithm}: FedAvgM, FedAdagrad, FedYogi and FedAdam differ only in their
 * server optimizer (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 1:
 * ClientOpt = SGD, ServerOpt = SGDM / Adagrad / Yogi / Adam), so each is one call to this.
 * Clients train exactly as in FedAvg and send their model; the server takes a step along the
 * pseudo-gradient. Each also takes `--federated-eval`.
 * @module
 */
import type { z } from "zod";
import { type AlgorithmDefinition, defineAlgorithm } from "../../kit/algorithm.js";
import type { ServerOptimizer } from "../../kit/server-optimizer.js";
import { fedAvg } from "../fedavg/algorithm.js";
import { withFederatedEvaluation } from "../federated-evaluation/with-federated-evaluation.js";
import { PseudoGradientServer } from "./pseudo-gradient-server.js";

/** What makes one FedOpt algorithm. */
export interface FedOptSpec<Schema extends z.ZodObject> {
  /** The `--algorithm` name. */
  readonly name: string;
  /** One line for `blazefl algorithms`. */
  readonly summary: string;
  /** Its options; `weighted` among them. */
  readonly options: Schema;
  /** Its server optimizer, from the validated options. */
  optimizer(options: z.output<Schema>): ServerOptimizer;
}

/** A FedOpt algorithm: FedAvg's client, {@link PseudoGradientServer} with `spec.optimizer`. */
export function defineFedOptAlgorithm<Schema extends z.ZodObject>(
  spec: FedOptSpec<Schema>,
): AlgorithmDefinition<z.ZodObject, "model", never> {
  return withFederatedEvaluation(
    defineAlgorithm<Schema, "model", never>({
      name: spec.name,
      summary: spec.summary,
      options: spec.options,
      server: (setup) =>
        new PseudoGradientServer(setup.initialModel, spec.optimizer(setup.options), {
          weighted: (setup.options as { readonly weighted?: boolean }).weighted === true,
        }),
      // FedAvg's client: local SGD from x_t, send the model (it reads no options).
      client: (ctx) => fedAvg.client(ctx as never),
    }),
  );
}
