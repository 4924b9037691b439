/**
 * FedDyn's update rules (Acar, Zhao, Matas, Mattina, Whatmough and Saligrama, "Federated
 * Learning Based on Dynamic Regularization", ICLR 2021, Algorithm 1).
 *
 * Each client k keeps g_k (zero at first; the gradient of its loss at its last local optimum)
 * and trains on L_k(θ) − ⟨g_k, θ⟩ + (α/2)‖θ − x_t‖², whose stationary points agree with the
 * global objective's, so local drift stops without SCAFFOLD's extra downlink. The server keeps
 * h (zero at first): h ← h − (α/N) Σ_{k∈S} (θ_k − x_t); x_{t+1} = (1/|S|) Σ θ_k − h/α.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";

function assertSameLength(name: string, a: ArrayLike<number>, length: number): void {
  if (a.length !== length) throw new OptionsError(`${name}.length`, a.length, `${length}`);
}

function assertAlpha(alpha: number): void {
  if (!Number.isFinite(alpha) || alpha <= 0)
    throw new OptionsError("alpha", alpha, "a finite number > 0");
}

/**
 * The extra gradient term of FedDyn's local objective at θ: −g_k + α (θ − x_t), into `out`
 * (float32, length n). The local step is θ ← θ − η_l (∇L_k(θ) + this).
 */
export function fedDynGradientTerm(
  theta: Float32Array,
  global: Float32Array,
  state: Float32Array,
  alpha: number,
  out: Float32Array = new Float32Array(theta.length),
): Float32Array {
  assertAlpha(alpha);
  for (const [name, a] of [
    ["global", global],
    ["state", state],
    ["out", out],
  ] as const)
    assertSameLength(name, a, theta.length);
  for (let i = 0; i < theta.length; i++)
    out[i] = alpha * ((theta[i] as number) - (global[i] as number)) - (state[i] as number);
  return out;
}

/** The client's state after training, in place: g_k ← g_k − α (θ_k − x_t). */
export function updateFedDynClientState(
  state: Float32Array,
  theta: Float32Array,
  global: Float32Array,
  alpha: number,
): void {
  assertAlpha(alpha);
  assertSameLength("theta", theta, state.length);
  assertSameLength("global", global, state.length);
  for (let i = 0; i < state.length; i++)
    state[i] = (state[i] as number) - alpha * ((theta[i] as number) - (global[i] as number));
}

/**
 * FedDyn's server step, fed the round's client models in cid order: it sums θ_k − x_t in
 * float64 (memory O(model)) and then moves h and x in place.
 */
export class FedDynAggregate {
  readonly #sum: Float64Array;
  #count = 0;

  /** @param length - The model's parameter count. */
  constructor(length: number) {
    assertPositiveInteger("length", length);
    this.#sum = new Float64Array(length);
  }

  /** The number of client models added. */
  get count(): number {
    return this.#count;
  }

  /** Adds θ_k, client k's model after local training, against the round's global x_t. */
  add(theta: Float32Array, global: Float32Array): void {
    const sum = this.#sum;
    assertSameLength("theta", theta, sum.length);
    assertSameLength("global", global, sum.length);
    for (let i = 0; i < sum.length; i++) {
      const v = theta[i] as number;
      if (!Number.isFinite(v)) throw new OptionsError(`theta[${i}]`, v, "a finite number");
      sum[i] = (sum[i] as number) + (v - (global[i] as number));
    }
    this.#count++;
  }

  /**
   * h ← h − (α/N) Σ (θ_k − x_t), then x ← x_t + (1/|S|) Σ (θ_k − x_t) − h/α (that is
   * (1/|S|) Σ θ_k − h/α), both in place.
   * @param global - x_t on entry, x_{t+1} on return.
   * @param serverState - h, the server's state (float32, checkpointed).
   * @param numClients - N, all clients, not only this round's.
   */
  apply(global: Float32Array, serverState: Float32Array, alpha: number, numClients: number): void {
    assertAlpha(alpha);
    assertPositiveInteger("numClients", numClients);
    if (this.#count === 0) throw new OptionsError("count", 0, "at least one added model");
    const sum = this.#sum;
    assertSameLength("global", global, sum.length);
    assertSameLength("serverState", serverState, sum.length);
    const hScale = alpha / numClients;
    const mean = 1 / this.#count;
    for (let i = 0; i < sum.length; i++) {
      const h = (serverState[i] as number) - hScale * (sum[i] as number);
      serverState[i] = h;
      global[i] = (global[i] as number) + (sum[i] as number) * mean - h / alpha;
    }
  }

  /** Forgets every model added, for the next round. */
  reset(): void {
    this.#sum.fill(0);
    this.#count = 0;
  }
}
