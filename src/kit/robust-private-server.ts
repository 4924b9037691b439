/**
 * {@link RobustPrivateServer}: a server part around any algorithm's server part whose clients
 * send their model (uplink `model`), adding what a run's `--attack`, `--aggregator` and `--dp`
 * ask for. Each round it turns the clients' models into updates Δ_k = x_k − x_t, replaces the
 * malicious clients' updates (model poisoning), clips them (central DP), aggregates them (the
 * streaming mean, or a robust aggregator holding the round's updates), adds DP noise σ·C/m, and
 * hands the result to the inner server part as ONE client model x_t + Δ, so the inner part's own
 * rule (FedAvg's average, a server optimizer) still moves the global model. It also counts the
 * malicious clients sampled, runs the privacy accountant (one step of the sampled Gaussian
 * mechanism per round, q = m/N), adapts the clip (Andrew et al.), and keeps all of that in the
 * checkpoint, wrapped around the inner part's state.
 *
 * Memory: O(d) with the mean and sign-flip or Gaussian attackers (streaming, as FedAvg); O(m·d)
 * with a robust aggregator or ALIE, which need the round's updates at once.
 * @module
 */
import type { AttackSpec } from "../contrib/attacks/attack-spec.js";
import { poisonUpdates } from "../contrib/attacks/poison-updates.js";
import {
  adaptiveClippingNoiseMultiplier,
  defaultClippedCountStddev,
  nextAdaptiveClip,
} from "../contrib/privacy/adaptive-clipping.js";
import {
  addGaussianNoise,
  dpFedAvgNoiseStd,
  type NormalSource,
} from "../contrib/privacy/gaussian-noise.js";
import { clipToNorm } from "../contrib/privacy/l2-clipping.js";
import { RdpAccountant, type RdpAccountantState } from "../contrib/privacy/rdp-accountant.js";
import type { AggregatorSpec } from "../contrib/robust/aggregator-spec.js";
import { robustAggregate } from "../contrib/robust/robust-aggregate.js";
import { OptionsError } from "../core/errors.js";
import type { ClientUpdate, ServerPart } from "./algorithm.js";
import { CheckpointError } from "./errors.js";
import type { JsonValue, OptimizerState } from "./server-optimizer.js";
import { WeightedAverage } from "./weighted-average.js";

/** Central (server-noised) or local DP, as the server sees it. */
export interface ServerDpSettings {
  /** `fixed` and `adaptive` clip (again) and noise on the server; `local` only accounts. */
  readonly mode: "fixed" | "adaptive" | "local";
  /** The clip norm C (the first round's for adaptive clipping). */
  readonly clip: number;
  /** σ, the noise multiplier the accountant is given. */
  readonly noiseMultiplier: number;
  /** The δ at which ε is reported. */
  readonly delta: number;
  /** The normal source of round `round`'s noise; `stream` 0 is the update noise, 1 the clip count's. */
  noiseSource(round: number, stream: number): NormalSource;
}

/** What {@link RobustPrivateServer} adds. */
export interface RobustPrivateServerOptions {
  /** The run's seed (Gaussian attackers' streams). */
  readonly seed: number;
  /** N, for the sample rate q = m/N. */
  readonly numClients: number;
  /** m, the clients sampled per round. */
  readonly clientsPerRound: number;
  /** A robust aggregator; absent or `mean`: the weighted mean (example counts; equal under DP). */
  readonly aggregator?: AggregatorSpec;
  /** The attack; its malicious clients are `malicious`. */
  readonly attack?: AttackSpec;
  /** The run's malicious clients (empty without an attack). */
  readonly malicious?: ReadonlySet<number>;
  /** Differential privacy. */
  readonly dp?: ServerDpSettings;
}

interface WrappedState {
  readonly inner: JsonValue;
  readonly accountant: RdpAccountantState | null;
  readonly clip: number | null;
}

/** The ε after `state`'s stages and `extra` more rounds of (σ, q), computed from the stages alone. */
function epsilonOf(state: RdpAccountantState, delta: number): number {
  return RdpAccountant.fromState(state).getEpsilon(delta);
}

/** The wrapper described in the module's documentation. */
export class RobustPrivateServer implements ServerPart {
  readonly #inner: ServerPart;
  readonly #options: RobustPrivateServerOptions;
  readonly #malicious: ReadonlySet<number>;
  /** Whether the server turns models into updates at all (else it only counts and accounts). */
  readonly #processes: boolean;
  /** Whether the round's updates are held at once (robust aggregators, ALIE). */
  readonly #collects: boolean;
  readonly #central: boolean;
  readonly #updateNoiseMultiplier: number;
  #average: WeightedAverage | undefined;
  #round = 0;
  #updates: Float32Array[] = [];
  #weights: number[] = [];
  #cids: number[] = [];
  #sampled = 0;
  #maliciousSampled = 0;
  #totalWeight = 0;
  #steps = 0;
  #withinClip = 0;
  #clip: number;
  #clipUsed: number;
  #accountant: RdpAccountantState;
  #epsilon = 0;

  /** @param inner - The algorithm's server part (uplink `model`). */
  constructor(inner: ServerPart, options: RobustPrivateServerOptions) {
    this.#inner = inner;
    this.#options = options;
    this.#malicious = options.malicious ?? new Set();
    const robust = options.aggregator !== undefined && options.aggregator.kind !== "mean";
    const poisons =
      options.attack !== undefined &&
      options.attack.kind !== "label-flip" &&
      this.#malicious.size > 0;
    this.#central = options.dp !== undefined && options.dp.mode !== "local";
    this.#processes = robust || poisons || this.#central;
    this.#collects = robust || options.attack?.kind === "alie";
    this.#clip = options.dp?.clip ?? Number.NaN;
    this.#clipUsed = this.#clip;
    this.#updateNoiseMultiplier =
      options.dp?.mode === "adaptive"
        ? adaptiveClippingNoiseMultiplier(
            options.dp.noiseMultiplier,
            defaultClippedCountStddev(options.clientsPerRound),
          )
        : (options.dp?.noiseMultiplier ?? 0);
    this.#accountant = new RdpAccountant().captureState();
  }

  get model(): Float32Array {
    return this.#inner.model;
  }

  /** The sample rate q = m/N the accountant uses. */
  get sampleRate(): number {
    return this.#options.clientsPerRound / this.#options.numClients;
  }

  /** ε spent so far at the configured δ (0 before any round, NaN without DP). */
  get epsilon(): number {
    return this.#options.dp === undefined ? Number.NaN : this.#epsilon;
  }

  /** The clip norm the next round uses (adaptive clipping moves it). */
  get clip(): number {
    return this.#clip;
  }

  /**
   * The ε the accountant would report after one more round, computed as the reported ε is (from
   * the merged stages), so a run that stops when this exceeds its target never reports more.
   */
  epsilonAfterNextRound(): number {
    const dp = this.#options.dp;
    if (dp === undefined) return Number.NaN;
    const next = RdpAccountant.fromState(this.#accountant);
    next.step({ noiseMultiplier: dp.noiseMultiplier, sampleRate: this.sampleRate });
    return epsilonOf(next.captureState(), dp.delta);
  }

  downlink(round: number): Readonly<Record<string, Float32Array>> {
    this.#round = round;
    return this.#inner.downlink?.(round) ?? {};
  }

  clientConfig(cid: number, round: number, sampled: readonly number[]): JsonValue | undefined {
    this.#round = round;
    return this.#inner.clientConfig?.(cid, round, sampled);
  }

  fold(update: ClientUpdate): void {
    this.#sampled++;
    if (this.#malicious.has(update.cid)) this.#maliciousSampled++;
    if (!this.#processes) {
      this.#inner.fold(update);
      return;
    }
    if (update.weight <= 0) return;
    const model = update.vectors.model;
    if (model === undefined) throw new TypeError("uplink vector model is missing");
    const global = this.#inner.model;
    let delta: Float32Array = new Float32Array(model.length);
    for (let i = 0; i < delta.length; i++) delta[i] = (model[i] as number) - (global[i] as number);
    const weight = this.#central ? 1 : update.weight;
    this.#totalWeight += update.weight;
    this.#steps += update.steps;
    this.#cids.push(update.cid);
    if (this.#collects) {
      this.#updates.push(delta);
      this.#weights.push(weight);
      return;
    }
    delta = this.#poison([update.cid], [delta])[0] as Float32Array;
    this.#average ??= new WeightedAverage(delta.length);
    this.#average.add(this.#clipOne(delta), weight);
  }

  finish(round: number): void {
    this.#clipUsed = this.#clip;
    const count = this.#cids.length;
    if (this.#processes && count > 0) {
      let aggregate: Float32Array;
      if (this.#collects) {
        const updates = this.#poison(this.#cids, this.#updates).map((u) => this.#clipOne(u));
        aggregate = robustAggregate(
          this.#options.aggregator ?? { kind: "mean" },
          updates,
          this.#weights,
        );
      } else aggregate = (this.#average as WeightedAverage).result();
      const dp = this.#options.dp;
      if (dp !== undefined && this.#central) {
        const std = dpFedAvgNoiseStd(this.#updateNoiseMultiplier, this.#clip, count);
        aggregate = addGaussianNoise(aggregate, std, dp.noiseSource(round, 0));
        if (dp.mode === "adaptive")
          this.#clip = nextAdaptiveClip(
            { clip: this.#clip, withinClipCount: this.#withinClip, numSampled: count },
            dp.noiseSource(round, 1),
          ).clip;
      }
      const global = this.#inner.model;
      const model = new Float32Array(global.length);
      for (let i = 0; i < model.length; i++)
        model[i] = (global[i] as number) + (aggregate[i] as number);
      this.#inner.fold({
        cid: this.#cids[0] as number,
        weight: this.#totalWeight,
        steps: this.#steps,
        vectors: { model },
        metrics: {},
      });
    }
    this.#inner.finish(round);
    const dp = this.#options.dp;
    if (dp !== undefined) {
      const accountant = RdpAccountant.fromState(this.#accountant);
      accountant.step({ noiseMultiplier: dp.noiseMultiplier, sampleRate: this.sampleRate });
      this.#accountant = accountant.captureState();
      // From the merged stages, as a resumed run computes it: the same ε, bit for bit.
      this.#epsilon = epsilonOf(this.#accountant, dp.delta);
    }
    this.#lastRound = {
      sampled: this.#sampled,
      malicious: this.#maliciousSampled,
      withinClip: this.#withinClip,
    };
    this.#reset();
  }

  #lastRound = { sampled: 0, malicious: 0, withinClip: 0 };

  roundMetrics(): Readonly<Record<string, number | null>> {
    const out: Record<string, number | null> = { ...this.#inner.roundMetrics?.() };
    if (this.#options.attack !== undefined) out.maliciousClients = this.#lastRound.malicious;
    const dp = this.#options.dp;
    if (dp !== undefined) {
      out.epsilon = this.#epsilon;
      if (this.#central) out.withinClip = this.#lastRound.withinClip;
      if (dp.mode === "adaptive") out.clip = this.#clipUsed;
    }
    return out;
  }

  captureState(): OptimizerState {
    const inner = this.#inner.captureState();
    const json: WrappedState = {
      inner: inner.json,
      accountant: this.#options.dp !== undefined ? this.#accountant : null,
      clip: this.#options.dp !== undefined ? this.#clip : null,
    };
    return { vectors: inner.vectors, json: json as unknown as JsonValue };
  }

  restoreState(state: OptimizerState, model: Float32Array): void {
    const json = state.json as unknown as WrappedState | null;
    if (json === null || typeof json !== "object" || !("inner" in json))
      throw new CheckpointError(
        "The checkpoint's server state was not written by a run with --aggregator, --attack or --dp",
      );
    this.#inner.restoreState({ vectors: state.vectors, json: json.inner }, model);
    const dp = this.#options.dp;
    if (dp !== undefined) {
      if (json.accountant === null || typeof json.clip !== "number")
        throw new CheckpointError("The checkpoint has no privacy accountant state");
      this.#accountant = RdpAccountant.fromState(json.accountant).captureState();
      this.#epsilon =
        this.#accountant.stages.length > 0 ? epsilonOf(this.#accountant, dp.delta) : 0;
      this.#clip = json.clip;
      this.#clipUsed = json.clip;
    }
    this.#reset();
  }

  #poison(cids: readonly number[], updates: Float32Array[]): Float32Array[] {
    const attack = this.#options.attack;
    if (attack === undefined || attack.kind === "label-flip") return updates;
    return poisonUpdates(attack, {
      seed: this.#options.seed,
      round: this.#round,
      cids,
      updates,
      malicious: this.#malicious,
    });
  }

  #clipOne(update: Float32Array): Float32Array {
    if (!this.#central) return update;
    const clipped = clipToNorm(update, this.#clip);
    if (clipped.withinClip) this.#withinClip++;
    return clipped.update;
  }

  #reset(): void {
    this.#updates = [];
    this.#weights = [];
    this.#cids = [];
    this.#sampled = 0;
    this.#maliciousSampled = 0;
    this.#totalWeight = 0;
    this.#steps = 0;
    this.#withinClip = 0;
    this.#average?.reset();
  }
}

/** Refuses an algorithm whose clients do not send their model, naming the option that needs it. */
export function assertModelUplink(uplink: readonly string[], option: string, value: unknown): void {
  if (uplink.length !== 1 || uplink[0] !== "model")
    throw new OptionsError(
      option,
      value,
      `an algorithm whose clients send their model (uplink "model"); this one sends ${uplink.join(", ")}`,
    );
}
