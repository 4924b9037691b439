/**
 * {@link ServerOptimizer}: the server-side update hook of the algorithm kit. Each round the kit
 * folds the clients' models into a pseudo-gradient Δ = Σ p_k (x_k − x) (Reddi et al., "Adaptive
 * Federated Optimization", ICLR 2021) and hands it to the algorithm's server optimizer, which moves
 * the global model. FedAvg itself keeps its direct weighted average (x ← Σ p_k x_k, bit-identical to earlier
 * releases); FedAvgM, FedAdagrad, FedYogi and FedAdam keep state.
 * @module
 */

/** A JSON-safe value, for optimizer state in checkpoints. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** An optimizer's state for a checkpoint: named float32 vectors plus small JSON data. */
export interface OptimizerState {
  /** Model-sized vectors (moments, accumulators), by name. */
  readonly vectors: Readonly<Record<string, Float32Array>>;
  /** Scalars and flags (a step count, say). */
  readonly json: JsonValue;
}

/**
 * Moves the global model `x` in place by the round's pseudo-gradient `delta` (float64, the
 * weighted mean of x_k − x). Implementations must be deterministic: the same inputs and state
 * give the same bits, so runs stay bit-identical across trainers and after a resume.
 */
export interface ServerOptimizer {
  /** Applies one round's update to `x` (length n) given `delta` (length n). */
  step(x: Float32Array, delta: Float64Array): void;
  /** The state to checkpoint after a round (copies, not views). */
  captureState(): OptimizerState;
  /** Restores {@link ServerOptimizer.captureState}'s output exactly. */
  restoreState(state: OptimizerState): void;
}
