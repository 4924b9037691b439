/**
 * {@link SgdOptimizer}: stochastic gradient descent with optional momentum and weight decay,
 * with PyTorch's semantics (`torch.optim.SGD`, dampening 0, no Nesterov):
 * `g = grad + weightDecay * w`; `buf = momentum * buf + g` (`buf = g` on the first step);
 * `w = w - lr * buf` (or `w - lr * g` without momentum).
 *
 * @module
 */

import type { Scalar, Tensor, Variable } from "@tensorflow/tfjs";
import { OptionsError } from "../core/errors.js";
import { trySgdMomentumUpdateInPlace } from "../engine/native/sgd-update.js";
import { tf } from "../engine/tfjs.js";
import type { GradientTerm } from "./gradient-term.js";

/** Options of {@link SgdOptimizer}. */
export interface SgdOptions {
  /** The learning rate, a finite number > 0. */
  readonly lr: number;
  /** The momentum factor in [0, 1). @default 0 */
  readonly momentum?: number;
  /** The L2 penalty added to the gradient, >= 0. @default 0 */
  readonly weightDecay?: number;
}

/** Checks SGD options, naming the bad one; returns them with defaults filled in. */
export function validateSgdOptions(options: SgdOptions): Required<SgdOptions> {
  if (options === null || typeof options !== "object")
    throw new OptionsError("options", options, "an object with lr, momentum?, weightDecay?");
  const { lr, momentum = 0, weightDecay = 0 } = options;
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr <= 0)
    throw new OptionsError("lr", lr, "a finite number > 0");
  if (typeof momentum !== "number" || !Number.isFinite(momentum) || momentum < 0 || momentum >= 1)
    throw new OptionsError("momentum", momentum, "a number in [0, 1)");
  if (typeof weightDecay !== "number" || !Number.isFinite(weightDecay) || weightDecay < 0)
    throw new OptionsError("weightDecay", weightDecay, "a finite number >= 0");
  return { lr, momentum, weightDecay };
}

/**
 * SGD over a fixed list of variables. It owns its momentum buffers: {@link SgdOptimizer.reset}
 * drops them (a fresh optimizer state for the next client) and {@link SgdOptimizer.dispose}
 * frees them.
 */
export class SgdOptimizer {
  /** The options, validated, with defaults filled in. */
  readonly options: Readonly<Required<SgdOptions>>;
  #buffers: (Variable | undefined)[] = [];
  #scalars: { lr: Scalar; momentum: Scalar; weightDecay: Scalar } | undefined;
  #disposed = false;

  /** @param options - See {@link SgdOptions}. */
  constructor(options: SgdOptions) {
    this.options = Object.freeze(validateSgdOptions(options));
  }

  /** The number of momentum buffers held now (0 after a reset, or without momentum). */
  get numBuffers(): number {
    return this.#buffers.filter((b) => b !== undefined).length;
  }

  /**
   * Updates each variable from its gradient (same order, same shapes). The gradients are not
   * disposed; call it inside `tf.tidy` to free the temporaries.
   *
   * @param indices - Each variable's index in the model's `parameterInfo`, for `term` (default:
   *   its position in `variables`).
   * @param term - An algorithm's extra gradient term (see {@link GradientTerm}).
   */
  apply(
    variables: readonly Variable[],
    grads: readonly Tensor[],
    term?: GradientTerm,
    indices?: readonly number[],
  ): void {
    if (this.#disposed) throw new OptionsError("optimizer", "disposed", "an undisposed optimizer");
    if (grads.length !== variables.length)
      throw new OptionsError(
        "grads.length",
        grads.length,
        `${variables.length} (one per variable)`,
      );
    const { momentum, weightDecay } = this.options;
    if (this.#scalars === undefined)
      this.#scalars = tf.tidy(() => ({
        lr: tf.keep(tf.scalar(this.options.lr)),
        momentum: tf.keep(tf.scalar(momentum)),
        weightDecay: tf.keep(tf.scalar(weightDecay)),
      }));
    const s = this.#scalars;
    for (let i = 0; i < variables.length; i++) {
      const w = variables[i] as Variable;
      let g = grads[i] as Tensor;
      const extra = term?.(indices?.[i] ?? i, w);
      if (extra !== undefined) g = tf.add(g, extra);
      const buf = this.#buffers[i];
      // On the native engine, one fused pass over the weight's own buffer once it owns one
      // (bit-identical to the ops below, which run otherwise).
      if (
        (momentum === 0 || buf !== undefined) &&
        trySgdMomentumUpdateInPlace(
          w,
          g,
          momentum === 0 ? undefined : buf,
          this.options.lr,
          momentum,
          weightDecay,
        )
      )
        continue;
      if (weightDecay !== 0) g = tf.add(g, tf.mul(w, s.weightDecay));
      if (momentum !== 0) {
        if (buf === undefined) this.#buffers[i] = tf.variable(g, false);
        else {
          buf.assign(tf.add(tf.mul(buf, s.momentum), g));
          g = buf;
        }
      }
      w.assign(tf.sub(w, tf.mul(g, s.lr)));
    }
  }

  /** Drops the momentum buffers: the next step starts from a fresh state. */
  reset(): void {
    for (const b of this.#buffers) b?.dispose();
    this.#buffers = [];
  }

  /** Frees every tensor the optimizer holds. It cannot be used afterwards. */
  dispose(): void {
    this.reset();
    if (this.#scalars !== undefined) {
      this.#scalars.lr.dispose();
      this.#scalars.momentum.dispose();
      this.#scalars.weightDecay.dispose();
      this.#scalars = undefined;
    }
    this.#disposed = true;
  }
}
