/**
 * {@link withFederatedEvaluation}: adds Flower's "evaluate round" to any kit algorithm. With
 * `--federated-eval`, each sampled client first evaluates the global model it received on its
 * own test split, and the round's `metrics.jsonl` line gets the spread of those accuracies
 * (`federatedAccuracyMean`, `…Weighted`, `…Min`, `…P10`, `…P50`, `…P90`, `federatedClients`),
 * beside the server's test accuracy. The evaluation runs in the client's worker, so it is as
 * parallel as training, and it never changes the model: results and sha256 are the same with
 * the flag on or off.
 *
 * Round r's line reports the model the clients received, i.e. the global model after round
 * r − 1, on round r's clients (Flower evaluates after aggregation, on a second sample).
 * @module
 */
import { z } from "zod";
import {
  type AlgorithmDefinition,
  type ClientContext,
  type ClientResult,
  defineAlgorithm,
  type ServerPart,
} from "../../kit/algorithm.js";
import { AccuracySpread, accuracyMetrics } from "./accuracy-spread.js";

/** The client metric names the wrapper sends and reads (accuracy and test count). */
export const FEDERATED_ACCURACY = "federatedAccuracy";
/** See {@link FEDERATED_ACCURACY}. */
export const FEDERATED_COUNT = "federatedCount";

/** The option the wrapper adds. */
const federatedEvalOption = z
  .boolean()
  .default(false)
  .describe("evaluate the received global model on each sampled client's own test split");

/** A server part that also summarises the clients' federated-evaluation metrics. */
function summarising(inner: ServerPart): ServerPart {
  const spread = new AccuracySpread();
  let any = false;
  return {
    get model() {
      return inner.model;
    },
    ...(inner.downlink !== undefined
      ? { downlink: (round: number) => inner.downlink?.(round) ?? {} }
      : {}),
    ...(inner.clientConfig !== undefined
      ? {
          clientConfig: (cid: number, round: number, sampled: readonly number[]) =>
            inner.clientConfig?.(cid, round, sampled),
        }
      : {}),
    fold(update) {
      const accuracy = update.metrics[FEDERATED_ACCURACY];
      const count = update.metrics[FEDERATED_COUNT];
      if (accuracy !== undefined && count !== undefined) {
        any = true;
        spread.add(accuracy, count);
      }
      inner.fold(update);
    },
    finish: (round) => inner.finish(round),
    roundMetrics() {
      const own = inner.roundMetrics?.() ?? {};
      if (!any) return own;
      any = false;
      return { ...own, ...accuracyMetrics("federated", spread.take()) };
    },
    captureState: () => inner.captureState(),
    restoreState: (state, model) => inner.restoreState(state, model),
  };
}

/**
 * `definition` with a `federatedEval` option (`--federated-eval`, off by default). Its server
 * and client parts are the definition's own, wrapped.
 */
export function withFederatedEvaluation<
  Schema extends z.ZodObject,
  Up extends string,
  Down extends string,
>(definition: AlgorithmDefinition<Schema, Up, Down>): AlgorithmDefinition<z.ZodObject, Up, Down> {
  const options = definition.options.extend({ federatedEval: federatedEvalOption });
  type Options = z.output<Schema> & { readonly federatedEval: boolean };
  const client = async (ctx: ClientContext<Options, Up, Down>): Promise<ClientResult> => {
    // Before the client part trains: ctx.model holds the global model it received.
    const evaluation = ctx.options.federatedEval ? ctx.evaluate() : undefined;
    const result = await definition.client(ctx);
    if (evaluation === undefined) return result;
    return {
      ...result,
      metrics: {
        ...result.metrics,
        [FEDERATED_ACCURACY]: evaluation.accuracy,
        [FEDERATED_COUNT]: evaluation.count,
      },
    };
  };
  // The parts see the definition's own options plus `federatedEval`, which they ignore.
  const base = definition as unknown as AlgorithmDefinition<z.ZodObject, Up, Down>;
  return defineAlgorithm<z.ZodObject, Up, Down>({
    ...base,
    options,
    server: (setup) => summarising(base.server(setup) as ServerPart) as ServerPart<Up, Down>,
    client: client as AlgorithmDefinition<z.ZodObject, Up, Down>["client"],
  });
}
