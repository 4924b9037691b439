/**
 * {@link AlgorithmDefinition}: one FL algorithm, written once and run by every trainer kind
 * (serial, thread, process, Redis), the CLI, checkpoints and resume. An algorithm is a server
 * part (aggregation and server state), a client part (the local work, run in whichever worker
 * gets the client), the vectors they exchange, the per-client state it keeps, and its own
 * options schema. Sampling, shared memory, state storage, checkpoints, metrics, signals and
 * progress are the kit's.
 *
 * The module that exports a definition is imported by every worker (that is how the client
 * part reaches them), so it must have no top-level side effects.
 * @module
 */
import type { z } from "zod";
import type { Batch } from "../core/partitioned-dataset.js";
import type { StopEvent } from "../core/stop-event.js";
import type { GradientTerm } from "../models/gradient-term.js";
import type { EvaluationResult } from "../models/sequential-classifier.js";
import type { TrainableModel } from "../models/trainable-model.js";
import type { JsonValue, OptimizerState } from "./server-optimizer.js";

/** The local training settings every algorithm shares (the `blazefl run` flags). */
export interface LocalTrainingConfig {
  /** The run's seed; a client's randomness is a pure function of (seed, cid, round). */
  readonly seed: number;
  /** Local epochs. */
  readonly epochs: number;
  /** Local batch size. */
  readonly batchSize: number;
  /** Local SGD learning rate η_l. */
  readonly lr: number;
  /** Local SGD momentum. */
  readonly momentum: number;
  /** Local SGD weight decay. */
  readonly weightDecay: number;
}

/** What the server part is built from. */
export interface ServerSetup<Options> {
  /** The initial global model (flat parameters); the server part may keep it (it is a copy). */
  readonly initialModel: Float32Array;
  /** The total number of clients N. */
  readonly numClients: number;
  /** The number of clients sampled per round m. */
  readonly clientsPerRound: number;
  /** The algorithm's options, validated by its schema. */
  readonly options: Options;
  /** The shared local-training settings (some server rules need η_l or E). */
  readonly training: LocalTrainingConfig;
  /** The run's seed (for seeded server-side choices, e.g. FedProx's stragglers). */
  readonly seed: number;
}

/** One client's result as the server part receives it, in sampled-cid order. */
export interface ClientUpdate<Up extends string = string> {
  /** The client id. */
  readonly cid: number;
  /** The client's aggregation weight (its number of training samples, unless it says otherwise). */
  readonly weight: number;
  /** The local SGD steps the client took. */
  readonly steps: number;
  /** The uplink vectors the algorithm declared, by name (views valid during the call only). */
  readonly vectors: Readonly<Record<Up, Float32Array>>;
  /** The client's own numbers (mean training loss, …). */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * The server side of an algorithm for one run. The kit calls, each round: `downlink()`, then
 * `clientConfig(cid)` for each sampled client, then `fold(update)` once per client in sampled-cid
 * order (whatever order results arrive in), then `finish()`.
 */
export interface ServerPart<Up extends string = string, Down extends string = string> {
  /** The current global model (a view the kit reads; do not replace its values mid-round). */
  readonly model: Float32Array;
  /**
   * Vectors broadcast to every client this round besides the model (e.g. SCAFFOLD's control
   * variate c), by name; written to shared memory once per round.
   */
  downlink?(round: number): Readonly<Record<Down, Float32Array>>;
  /** Per-client, per-round settings (JSON data), e.g. a straggler's epochs; `undefined` for none. */
  clientConfig?(cid: number, round: number, sampled: readonly number[]): JsonValue | undefined;
  /** Folds one client's update; called in sampled-cid order. */
  fold(update: ClientUpdate<Up>): void;
  /** Ends the round: moves the global model. */
  finish(round: number): void;
  /** Extra numbers for this round's `metrics.jsonl` line. */
  roundMetrics?(): Readonly<Record<string, number | null>>;
  /** The server state to checkpoint after a round (copies). The model is saved by the kit. */
  captureState(): OptimizerState;
  /** Restores {@link ServerPart.captureState}'s output, with the checkpointed model. */
  restoreState(state: OptimizerState, model: Float32Array): void;
}

/** Options of {@link ClientContext.localSgd}. */
export interface LocalSgdOptions {
  /** Epochs to run (default: the run's `epochs`). */
  readonly epochs?: number;
  /** Run exactly this many steps instead of epochs (cycling through fresh epochs as needed). */
  readonly steps?: number;
  /** An extra gradient term (FedProx's μ(w − x), SCAFFOLD's c − c_k). */
  readonly term?: GradientTerm;
  /** A different learning rate for this loop (e.g. Ditto's personal model). */
  readonly lr?: number;
  /** A sub-stream of the client's batch order, for a second loop in the same round. */
  readonly stream?: number;
}

/** What {@link ClientContext.localSgd} reports. */
export interface LocalSgdResult {
  /** Steps taken (fewer than asked when the stop event was set). */
  readonly steps: number;
  /** Mean training loss over the steps (NaN for none). */
  readonly loss: number;
}

/** Everything the client part sees for one client in one round. */
export interface ClientContext<Options, Up extends string = string, Down extends string = string> {
  /** The client id. */
  readonly cid: number;
  /** The 0-based round being trained. */
  readonly round: number;
  /** The algorithm's options. */
  readonly options: Options;
  /** The shared local-training settings. */
  readonly training: LocalTrainingConfig;
  /** What the server's `clientConfig(cid)` returned this round, or `undefined`. */
  readonly clientConfig: JsonValue | undefined;
  /** The global model x_t (read only). */
  readonly global: Float32Array;
  /** The server's other broadcast vectors (read only). */
  readonly downlink: Readonly<Record<Down, Float32Array>>;
  /**
   * This client's persistent state (zero-filled on its first round), or `undefined` when the
   * algorithm keeps none. Write the new state into it in place: the kit stores it when the
   * client's result is accepted, so it survives any worker, resume and trainer kind.
   */
  readonly state: Float32Array | undefined;
  /** Whether `state` holds an earlier round's values (false on the client's first round). */
  readonly hasState: boolean;
  /** The uplink vectors to fill (preallocated in shared memory), by the names the algorithm declared. */
  readonly uplink: Readonly<Record<Up, Float32Array>>;
  /** The worker's model, set to the global model before the client part runs. */
  readonly model: TrainableModel;
  /** The client's number of training samples. */
  readonly dataSize: number;
  /** The client's training batches for one epoch, in an order seeded by (seed, cid, round, stream). */
  batches(stream?: number): Iterable<Batch>;
  /** The kit's local SGD loop over this client's data, on `model`. */
  localSgd(options?: LocalSgdOptions): Promise<LocalSgdResult>;
  /**
   * Loss, accuracy and sample count of `model` as it is now on this client's own test split
   * (federated evaluation, personalised models); count 0 and NaN when the client has none.
   */
  evaluate(): EvaluationResult;
  /** Tensors of `flat` split like the model's parameters, for gradient terms; freed after the client. */
  parameterTensors(flat: Float32Array): readonly import("@tensorflow/tfjs").Tensor[];
  /** Set when the run is stopping: return early. */
  readonly stopEvent: StopEvent;
}

/** What the client part returns; its uplink vectors are written into `context.uplink`. */
export interface ClientResult {
  /** The aggregation weight (default: the client's number of training samples). */
  readonly weight?: number;
  /** Local steps taken (default 0). */
  readonly steps?: number;
  /** Numbers for the server part and the metrics (e.g. `loss`). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** Sizes the kit needs to lay out shared memory and the state store. */
export interface LayoutSetup<Options> {
  /** The model's parameter count. */
  readonly numParameters: number;
  /** The algorithm's options. */
  readonly options: Options;
}

/**
 * One FL algorithm. See {@link defineAlgorithm}.
 * @typeParam Schema - The zod schema of its options.
 */
export interface AlgorithmDefinition<
  Schema extends z.ZodObject = z.ZodObject,
  Up extends string = string,
  Down extends string = string,
> {
  /** Its name, as `--algorithm` takes it (lower-case letters, digits and dashes). */
  readonly name: string;
  /** One line for `blazefl algorithms`: what it is for, and its paper. */
  readonly summary: string;
  /**
   * Its options (camelCase keys become `--kebab-case` flags), each with a default and a
   * `.describe()` text. Every option is taken to change results (resume refuses a change).
   */
  readonly options: Schema;
  /** The uplink vectors a client sends, each `numParameters` long. @default ["model"] */
  readonly uplink?: readonly Up[];
  /** The names of the vectors the server broadcasts besides the model (see `ServerPart.downlink`). */
  readonly downlink?: readonly Down[];
  /**
   * Client metrics (keys of `ClientResult.metrics`) whose sum over a round's clients goes into
   * `metrics.jsonl` as `clientMetrics` (counts such as FedProx's `dropped`; not accuracies,
   * whose sum means nothing). `loss` and `trainSeconds` are always reported. @default []
   */
  readonly clientMetrics?: readonly string[];
  /** The per-client state length in float32 values (0: none). @default 0 */
  stateLength?(setup: LayoutSetup<z.output<Schema>>): number;
  /** Builds the server part. */
  server(setup: ServerSetup<z.output<Schema>>): ServerPart<Up, Down>;
  /**
   * Trains one client, in whichever worker runs it. Keep it a pure function of its context, free
   * of side effects: pool workers also run it on throwaway clients before round 1 (a warm-up, on
   * the worker's own model with zero downlink vectors and no state), whose results are dropped.
   */
  client(context: ClientContext<z.output<Schema>, Up, Down>): ClientResult | Promise<ClientResult>;
}

/**
 * Declares an algorithm. It returns its argument (checked), so the definition's types flow from
 * the options schema into the server and client parts.
 *
 * @example
 * ```ts
 * export default defineAlgorithm({
 *   name: "fedprox", summary: "FedAvg with a proximal term (Li et al., MLSys 2020)",
 *   options: z.object({ mu: z.number().min(0).default(0.01).describe("proximal weight μ") }),
 *   server: (setup) => new WeightedAverageServer(setup.initialModel),
 *   client: async (ctx) => { ... },
 * });
 * ```
 */
export function defineAlgorithm<
  Schema extends z.ZodObject,
  const Up extends string = "model",
  const Down extends string = never,
>(definition: AlgorithmDefinition<Schema, Up, Down>): AlgorithmDefinition<Schema, Up, Down> {
  if (typeof definition?.name !== "string" || !/^[a-z][a-z0-9-]{0,63}$/.test(definition.name))
    throw new TypeError(
      `defineAlgorithm: name must be lower-case letters, digits and dashes, got ${JSON.stringify(definition?.name)}`,
    );
  for (const key of ["server", "client"] as const)
    if (typeof definition[key] !== "function")
      throw new TypeError(`defineAlgorithm(${definition.name}): ${key} must be a function`);
  return Object.freeze(definition);
}

/** The uplink vector names of `definition`. */
export function uplinkNames(definition: AlgorithmDefinition): readonly string[] {
  return definition.uplink ?? ["model"];
}
