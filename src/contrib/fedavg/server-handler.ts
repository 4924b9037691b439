/**
 * {@link FedAvgServerHandler}: FedAvg's server (McMahan et al. 2017), with seeded client
 * sampling and a streaming, cid-ordered, data-size-weighted aggregation.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { BaseServerHandler } from "../../core/server-handler.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { WeightedAverage } from "../../kit/weighted-average.js";
import { Rng } from "../../reproducibility/rng.js";
import { assertSeed, deriveState } from "../../reproducibility/seed.js";
import type { FedAvgDownlinkPackage, FedAvgUplinkPackage } from "./packages.js";

/** The result of evaluating the global model on the server's test set. */
export interface FedAvgEvaluation {
  /** Mean test loss. */
  readonly loss: number;
  /** Test accuracy in [0, 1]. */
  readonly accuracy: number;
}

/** Options of {@link FedAvgServerHandler}. Every option is validated by the constructor. */
export interface FedAvgServerHandlerOptions {
  /** The initial global model (flat parameters); copied. */
  readonly initialParameters: Float32Array;
  /** The total number of clients, ids 0..numClients-1. */
  readonly numClients: number;
  /** The fraction of clients sampled each round, in (0, 1]; floor(numClients * ratio) >= 1. */
  readonly sampleRatio: number;
  /** The number of rounds to run. */
  readonly globalRound: number;
  /** The run's seed; client sampling is a pure function of (seed, round). */
  readonly seed: number;
  /** Evaluates parameters on the server's test set; used by {@link FedAvgServerHandler.evaluate}. */
  readonly evaluate?: (parameters: Float32Array) => FedAvgEvaluation | Promise<FedAvgEvaluation>;
}

/** What {@link FedAvgServerHandler.getSummary} reports. */
export interface FedAvgSummary {
  /** Rounds completed so far. */
  readonly round: number;
  /** The test accuracy of the last evaluation, or NaN if none ran. */
  readonly testAccuracy: number;
  /** The test loss of the last evaluation, or NaN if none ran. */
  readonly testLoss: number;
  /** The mean training loss reported by the last round's clients, or NaN. */
  readonly trainLoss: number;
  /** The sum of the last round's clients' pure training seconds (0 when none reported it). */
  readonly clientSeconds: number;
}

/** The server's resumable state, for checkpoints. */
export interface FedAvgServerState {
  /** Rounds completed. */
  readonly round: number;
  /** The global model after `round` rounds. */
  readonly parameters: Float32Array;
}

const SAMPLING_DOMAIN = 0x7361_6d70; // "samp"

/** FedAvg's server handler. */
export class FedAvgServerHandler
  implements BaseServerHandler<FedAvgUplinkPackage, FedAvgDownlinkPackage>
{
  /** The number of clients. */
  readonly numClients: number;
  /** The fraction sampled per round. */
  readonly sampleRatio: number;
  /** The number of rounds to run. */
  readonly globalRound: number;
  /** The run's seed. */
  readonly seed: number;
  /** The number of clients sampled per round: floor(numClients * sampleRatio). */
  readonly clientsPerRound: number;
  #round = 0;
  #parameters: Float32Array;
  readonly #average: WeightedAverage;
  readonly #evaluate: FedAvgServerHandlerOptions["evaluate"];
  #expected: number[] | undefined;
  #nextIndex = 0;
  readonly #pending = new Map<number, FedAvgUplinkPackage>();
  readonly #received = new Set<number>();
  #lossSum = 0;
  #lossCount = 0;
  #lastTrainLoss = Number.NaN;
  #secondsSum = 0;
  #lastClientSeconds = 0;
  #lastEvaluation: FedAvgEvaluation | undefined;

  /** @param options - See {@link FedAvgServerHandlerOptions}. */
  constructor(options: FedAvgServerHandlerOptions) {
    const { initialParameters, numClients, sampleRatio, globalRound, seed } = options;
    if (!(initialParameters instanceof Float32Array) || initialParameters.length === 0)
      throw new OptionsError("initialParameters", initialParameters, "a non-empty Float32Array");
    assertPositiveInteger("numClients", numClients);
    if (typeof sampleRatio !== "number" || !(sampleRatio > 0 && sampleRatio <= 1))
      throw new OptionsError("sampleRatio", sampleRatio, "a number in (0, 1]");
    if (Math.floor(numClients * sampleRatio) < 1)
      throw new OptionsError(
        "sampleRatio",
        sampleRatio,
        `a ratio with floor(numClients * sampleRatio) >= 1 (numClients is ${numClients})`,
      );
    assertPositiveInteger("globalRound", globalRound);
    assertSeed("seed", seed);
    this.numClients = numClients;
    this.sampleRatio = sampleRatio;
    this.globalRound = globalRound;
    this.seed = seed;
    this.clientsPerRound = Math.floor(numClients * sampleRatio);
    this.#parameters = initialParameters.slice();
    this.#average = new WeightedAverage(initialParameters.length);
    this.#evaluate = options.evaluate;
  }

  /** Rounds completed so far. */
  get round(): number {
    return this.#round;
  }

  /** The current global parameters (a view: do not modify). */
  get parameters(): Float32Array {
    return this.#parameters;
  }

  /** The global model for this round. */
  downlinkPackage(): FedAvgDownlinkPackage {
    return { modelParameters: this.#parameters, round: this.#round };
  }

  /**
   * This round's clients: floor(numClients * sampleRatio) distinct ids, sorted. A pure function
   * of (seed, round), so calling it twice in a round, or after a resume, gives the same ids.
   */
  sampleClients(): number[] {
    const rng = Rng.fromWords(deriveState([SAMPLING_DOMAIN, this.seed, this.#round]));
    const cids = rng
      .sampleWithoutReplacement(this.numClients, this.clientsPerRound)
      .sort((a, b) => a - b);
    this.#startRound(cids);
    return [...cids];
  }

  /** True once `globalRound` rounds have completed. */
  isStopped(): boolean {
    return this.#round >= this.globalRound;
  }

  /** BlazeFL v2's name for {@link FedAvgServerHandler.isStopped}. */
  ifStop(): boolean {
    return this.isStopped();
  }

  /**
   * Aggregates one round's packages at once (in the order given) and advances the round.
   * {@link FedAvgServerHandler.load} is the streaming path; this is the batch one.
   */
  globalUpdate(buffer: FedAvgUplinkPackage[]): void {
    if (buffer.length === 0)
      throw new OptionsError("buffer", buffer, "at least one uplink package");
    this.#average.reset();
    for (const pkg of buffer) this.#fold(pkg);
    this.#finishRound();
  }

  /**
   * Takes one client's package and folds it into the running average in sampled-cid order
   * (a package that arrives early waits for its predecessors). Returns true when it completed
   * the round. A package from a client that already reported this round is ignored (false),
   * so re-delivered results are harmless.
   */
  load(payload: FedAvgUplinkPackage): boolean {
    const expected = this.#expected;
    if (expected === undefined)
      throw new OptionsError(
        "load()",
        payload?.cid,
        "a call after sampleClients() started the round",
      );
    if (!expected.includes(payload.cid))
      throw new OptionsError(
        "payload.cid",
        payload.cid,
        `one of this round's clients (${expected.join(", ")})`,
      );
    if (this.#received.has(payload.cid)) return false;
    this.#validate(payload);
    this.#received.add(payload.cid);
    this.#pending.set(payload.cid, payload);
    while (this.#nextIndex < expected.length) {
      const cid = expected[this.#nextIndex] as number;
      const next = this.#pending.get(cid);
      if (next === undefined) break;
      this.#pending.delete(cid);
      this.#fold(next);
      this.#nextIndex++;
    }
    if (this.#nextIndex < expected.length) return false;
    this.#finishRound();
    return true;
  }

  /** Evaluates the global model with the `evaluate` option and remembers the result. */
  async evaluate(): Promise<FedAvgEvaluation> {
    if (this.#evaluate === undefined)
      throw new OptionsError(
        "evaluate",
        undefined,
        "an evaluate function in the handler's options",
      );
    const result = await this.#evaluate(this.#parameters);
    this.#lastEvaluation = result;
    return result;
  }

  /** The round, the last evaluation's accuracy and loss, and the last mean training loss. */
  getSummary(): FedAvgSummary {
    return {
      round: this.#round,
      testAccuracy: this.#lastEvaluation?.accuracy ?? Number.NaN,
      testLoss: this.#lastEvaluation?.loss ?? Number.NaN,
      trainLoss: this.#lastTrainLoss,
      clientSeconds: this.#lastClientSeconds,
    };
  }

  /** The state to checkpoint after a round. */
  captureState(): FedAvgServerState {
    return { round: this.#round, parameters: this.#parameters.slice() };
  }

  /** Restores a checkpointed state; the run continues exactly as if never interrupted. */
  restoreState(state: FedAvgServerState): void {
    if (!Number.isInteger(state.round) || state.round < 0 || state.round > this.globalRound)
      throw new OptionsError("state.round", state.round, `an integer in [0, ${this.globalRound}]`);
    if (
      !(state.parameters instanceof Float32Array) ||
      state.parameters.length !== this.#parameters.length
    )
      throw new OptionsError(
        "state.parameters",
        state.parameters,
        `a Float32Array of ${this.#parameters.length}`,
      );
    this.#round = state.round;
    this.#parameters = state.parameters.slice();
    this.#expected = undefined;
  }

  #startRound(cids: number[]): void {
    this.#expected = cids;
    this.#nextIndex = 0;
    this.#pending.clear();
    this.#received.clear();
    this.#average.reset();
    this.#lossSum = 0;
    this.#lossCount = 0;
    this.#secondsSum = 0;
  }

  #validate(pkg: FedAvgUplinkPackage): void {
    if (
      !(pkg.modelParameters instanceof Float32Array) ||
      pkg.modelParameters.length !== this.#parameters.length
    )
      throw new OptionsError(
        `uplink(cid ${pkg.cid}).modelParameters`,
        pkg.modelParameters,
        `a Float32Array of ${this.#parameters.length}`,
      );
    if (!Number.isInteger(pkg.dataSize) || pkg.dataSize <= 0)
      throw new OptionsError(`uplink(cid ${pkg.cid}).dataSize`, pkg.dataSize, "a positive integer");
  }

  #fold(pkg: FedAvgUplinkPackage): void {
    this.#validate(pkg);
    this.#average.add(pkg.modelParameters, pkg.dataSize);
    const seconds = pkg.metadata?.trainSeconds;
    if (seconds !== undefined && Number.isFinite(seconds)) this.#secondsSum += seconds;
    const loss = pkg.metadata?.loss;
    if (loss !== undefined && Number.isFinite(loss)) {
      this.#lossSum += loss;
      this.#lossCount++;
    }
  }

  #finishRound(): void {
    this.#parameters = this.#average.result();
    this.#average.reset();
    this.#lastTrainLoss = this.#lossCount > 0 ? this.#lossSum / this.#lossCount : Number.NaN;
    this.#lastClientSeconds = this.#secondsSum;
    this.#secondsSum = 0;
    this.#round++;
    this.#expected = undefined;
    this.#pending.clear();
    this.#received.clear();
  }
}
