/**
 * {@link RdpAccountant}: tracks the privacy spent by a run of sampled Gaussian mechanisms (one
 * step per round in DP-FedAvg, with q = clients per round / all clients) and converts it to
 * (epsilon, delta). Its state is the list of stages, plain JSON, so a checkpoint that stores
 * {@link RdpAccountant.captureState} resumes to the same epsilon to the last bit.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { type PrivacySpent, rdpToEpsilon } from "./rdp-to-epsilon.js";
import { computeRdp, DEFAULT_RDP_ORDERS } from "./sampled-gaussian-rdp.js";

/** `steps` steps of the sampled Gaussian mechanism with one noise multiplier and sample rate. */
export interface RdpStage {
  /** sigma > 0: the noise's standard deviation over the sensitivity (the clip norm). */
  readonly noiseMultiplier: number;
  /** q in (0, 1]: the probability that a client takes part in a step. */
  readonly sampleRate: number;
  /** The number of steps (rounds), a positive integer. */
  readonly steps: number;
}

/** The captured state of an {@link RdpAccountant}: plain data, JSON-safe. */
export interface RdpAccountantState {
  /** The format version; only 1 exists. */
  readonly version: 1;
  /** The Rényi orders the accountant evaluates. */
  readonly orders: readonly number[];
  /** The stages, in the order they were taken. */
  readonly stages: readonly RdpStage[];
}

/** Options of {@link RdpAccountant}. */
export interface RdpAccountantOptions {
  /**
   * The Rényi orders to minimise over; each > 1.
   * @default DEFAULT_RDP_ORDERS (1.1, 1.2, ..., 10.9, 12, 13, ..., 63)
   */
  readonly orders?: readonly number[];
}

function assertStage(stage: RdpStage, option: string): void {
  const { noiseMultiplier, sampleRate, steps } = stage;
  if (
    typeof noiseMultiplier !== "number" ||
    !(noiseMultiplier > 0) ||
    !Number.isFinite(noiseMultiplier)
  )
    throw new OptionsError(`${option}.noiseMultiplier`, noiseMultiplier, "a finite number > 0");
  if (typeof sampleRate !== "number" || !(sampleRate > 0 && sampleRate <= 1))
    throw new OptionsError(`${option}.sampleRate`, sampleRate, "a number in (0, 1]");
  if (typeof steps !== "number" || !Number.isSafeInteger(steps) || steps < 1)
    throw new OptionsError(`${option}.steps`, steps, "a positive integer");
}

function assertOrders(orders: unknown): asserts orders is readonly number[] {
  if (!Array.isArray(orders) || orders.length === 0)
    throw new OptionsError("orders", orders, "a non-empty array of Rényi orders > 1");
  for (const [k, alpha] of orders.entries())
    if (typeof alpha !== "number" || !(alpha > 1))
      throw new OptionsError(`orders[${k}]`, alpha, "a Rényi order > 1");
}

/** Adds `steps` of (sigma, q) to `rdp` in place. */
function accumulate(rdp: Float64Array, orders: readonly number[], stage: RdpStage): void {
  const add = computeRdp(stage.sampleRate, stage.noiseMultiplier, stage.steps, orders);
  for (let k = 0; k < rdp.length; k++) rdp[k] = (rdp[k] as number) + (add[k] as number);
}

/**
 * An RDP accountant for compositions of sampled Gaussian mechanisms (Mironov, Talwar and Zhang,
 * 2019), converted to (epsilon, delta) with Balle et al. (2020). It reproduces Opacus's
 * `RDPAccountant`: consecutive steps with the same (sigma, q) merge into one stage.
 * @example
 * const accountant = new RdpAccountant();
 * accountant.step({ noiseMultiplier: 1.1, sampleRate: 0.01, steps: 1 }); // after each round
 * accountant.getEpsilon(1e-5);
 */
export class RdpAccountant {
  readonly #orders: readonly number[];
  readonly #stages: RdpStage[] = [];
  readonly #rdp: Float64Array;

  /** @param options - The Rényi orders (Opacus's defaults unless given). */
  constructor(options: RdpAccountantOptions = {}) {
    const orders = options.orders ?? DEFAULT_RDP_ORDERS;
    assertOrders(orders);
    this.#orders = Object.freeze([...orders]);
    this.#rdp = new Float64Array(orders.length);
  }

  /** An accountant whose stages are those of `state`, as captured by {@link captureState}. */
  static fromState(state: RdpAccountantState): RdpAccountant {
    if (
      state === null ||
      typeof state !== "object" ||
      state.version !== 1 ||
      !Array.isArray(state.stages)
    )
      throw new OptionsError("state", state, "an RdpAccountantState captured by captureState()");
    const accountant = new RdpAccountant({ orders: state.orders });
    for (const [k, stage] of state.stages.entries()) {
      assertStage(stage, `state.stages[${k}]`);
      accountant.step(stage);
    }
    return accountant;
  }

  /** The Rényi orders evaluated. */
  get orders(): readonly number[] {
    return this.#orders;
  }

  /** The stages taken so far (merged where consecutive ones share sigma and q). */
  get stages(): readonly RdpStage[] {
    return this.#stages.map((s) => ({ ...s }));
  }

  /** The total number of steps over all stages. */
  get totalSteps(): number {
    return this.#stages.reduce((n, s) => n + s.steps, 0);
  }

  /** The accumulated RDP, one value per order (a copy). */
  rdp(): Float64Array {
    return this.#rdp.slice();
  }

  /**
   * Records `steps` (default 1) steps of the mechanism with noise multiplier sigma and sample
   * rate q. Call it once per round that released a noised aggregate.
   */
  step(stage: {
    readonly noiseMultiplier: number;
    readonly sampleRate: number;
    readonly steps?: number;
  }): void {
    const full: RdpStage = {
      noiseMultiplier: stage.noiseMultiplier,
      sampleRate: stage.sampleRate,
      steps: stage.steps ?? 1,
    };
    assertStage(full, "stage");
    accumulate(this.#rdp, this.#orders, full);
    const last = this.#stages.at(-1);
    if (
      last !== undefined &&
      last.noiseMultiplier === full.noiseMultiplier &&
      last.sampleRate === full.sampleRate
    )
      this.#stages[this.#stages.length - 1] = { ...last, steps: last.steps + full.steps };
    else this.#stages.push(full);
  }

  /** The epsilon spent so far at `delta`, and the order that gives it. 0 before any step. */
  getPrivacySpent(delta: number): PrivacySpent {
    const spent = rdpToEpsilon(this.#orders, this.#rdp, delta);
    // Nothing released yet: nothing spent (the conversion alone would say about 0.1).
    return this.#stages.length === 0 ? { epsilon: 0, order: Number.NaN } : spent;
  }

  /** The epsilon spent so far at `delta` (see {@link getPrivacySpent}). */
  getEpsilon(delta: number): number {
    return this.getPrivacySpent(delta).epsilon;
  }

  /**
   * The epsilon at `delta` if `stage` were taken next, without taking it: a run with a target
   * epsilon checks this before training the round that would exceed its budget.
   */
  epsilonAfter(
    stage: {
      readonly noiseMultiplier: number;
      readonly sampleRate: number;
      readonly steps?: number;
    },
    delta: number,
  ): number {
    const full: RdpStage = {
      noiseMultiplier: stage.noiseMultiplier,
      sampleRate: stage.sampleRate,
      steps: stage.steps ?? 1,
    };
    assertStage(full, "stage");
    const rdp = this.#rdp.slice();
    accumulate(rdp, this.#orders, full);
    return rdpToEpsilon(this.#orders, rdp, delta).epsilon;
  }

  /** The whole state, as plain JSON-safe data (for checkpoints). */
  captureState(): RdpAccountantState {
    return { version: 1, orders: [...this.#orders], stages: this.stages };
  }
}

/** What {@link computeEpsilon} takes: one stage of the mechanism and delta. */
export interface EpsilonQuery {
  /** sigma > 0. */
  readonly noiseMultiplier: number;
  /** q in (0, 1]. */
  readonly sampleRate: number;
  /** The number of steps, a positive integer. */
  readonly steps: number;
  /** delta in (0, 1). */
  readonly delta: number;
  /** The Rényi orders. @default DEFAULT_RDP_ORDERS */
  readonly orders?: readonly number[];
}

/** The epsilon (and its order) of `steps` steps of one sampled Gaussian mechanism. */
export function computeEpsilon(query: EpsilonQuery): PrivacySpent {
  const accountant = new RdpAccountant(query.orders === undefined ? {} : { orders: query.orders });
  accountant.step(query);
  return accountant.getPrivacySpent(query.delta);
}
