/**
 * The option schemas of the FedOpt family (Reddi et al., "Adaptive Federated Optimization",
 * ICLR 2021) and FedAvgM (Hsu et al. 2019), one zod schema per algorithm, built from shared
 * fields so that a bound (β in [0, 1), τ > 0) is written once. Defaults are the paper's; Flower's
 * differ where noted and are reachable through the same options. The kit turns each key into a
 * flag (`serverLr` → `--server-lr`) and names it in errors.
 * @module
 */
import { z } from "zod";

/** A server learning rate η_g: finite and > 0. */
function serverLr(fallback: number) {
  return z.number().positive().finite().default(fallback).describe("server learning rate η_g");
}

/** A decay rate in [0, 1): the paper's β1, β2 and FedAvgM's momentum. */
function decay(fallback: number, description: string) {
  return z.number().min(0).lt(1).default(fallback).describe(description);
}

/** Uniform (the paper's Δ = (1/|S|) Σ Δ_k) or sample-weighted (Flower's) pseudo-gradients. */
const weighted = z
  .boolean()
  .default(false)
  .describe("weight client updates by sample count (Flower) instead of uniformly (the paper)");

const beta1 = decay(0.9, "first-moment decay β1");
const beta2 = decay(0.999, "second-moment decay β2 (Flower: 0.99)");
/** τ, the adaptivity: > 0, so that the denominator √v + τ is never 0. */
const tau = z
  .number()
  .positive()
  .finite()
  .default(1e-3)
  .describe("adaptivity τ (Flower: 1e-9 for FedAdam and FedAdagrad)");

/**
 * FedAvgM's options. `serverLr` defaults to 10^-0.5, Reddi et al.'s best FedAvgM server rate on
 * EMNIST (Flower: 1.0); `serverMomentum` to the paper's 0.9 (Flower: 0, plain FedAvg). The name
 * keeps it apart from the local SGD's `--momentum`.
 */
export const fedAvgMOptionsSchema = z
  .object({
    serverLr: serverLr(10 ** -0.5),
    serverMomentum: decay(0.9, "server momentum β (Flower: 0)"),
    weighted,
  })
  .strict();

/**
 * FedAdagrad's options (β2 does not enter its accumulator). `serverLr` defaults to 10^-1, the
 * paper's best EMNIST server rate (Flower's default too); τ to the paper's 1e-3 (Flower: 1e-9).
 */
export const fedAdagradOptionsSchema = z
  .object({ serverLr: serverLr(10 ** -1), beta1, tau, weighted })
  .strict();

/**
 * FedYogi's options. `serverLr` defaults to 10^-2.5 (the paper's best on EMNIST; Flower: 1e-2),
 * β2 to the paper's 0.999 (Flower: 0.99), τ to 1e-3 (Flower's too).
 */
export const fedYogiOptionsSchema = z
  .object({ serverLr: serverLr(10 ** -2.5), beta1, beta2, tau, weighted })
  .strict();

/**
 * FedAdam's options: FedYogi's plus `biasCorrection`, off as in the paper; Flower turns it on
 * (with β2 = 0.99, τ = 1e-9 and serverLr = 1e-1).
 */
export const fedAdamOptionsSchema = fedYogiOptionsSchema
  .extend({
    biasCorrection: z
      .boolean()
      .default(false)
      .describe("Adam's bias correction of the step size (Flower: on; the paper: off)"),
  })
  .strict();

/** FedAvgM's resolved options. */
export type FedAvgMOptions = z.output<typeof fedAvgMOptionsSchema>;
/** FedAdagrad's resolved options. */
export type FedAdagradOptions = z.output<typeof fedAdagradOptionsSchema>;
/** FedYogi's resolved options. */
export type FedYogiOptions = z.output<typeof fedYogiOptionsSchema>;
/** FedAdam's resolved options. */
export type FedAdamOptions = z.output<typeof fedAdamOptionsSchema>;
