/**
 * The option schemas of the FedOpt family (Reddi et al., "Adaptive Federated Optimization",
 * ICLR 2021) and FedAvgM (Hsu et al. 2019), one zod schema per algorithm, built from shared
 * fields so that a bound (β in [0, 1), τ > 0) is written once. Defaults are the paper's; Flower's
 * differ where noted and are reachable through the same options.
 * @module
 */
import { z } from "zod";
import { OptionsError } from "../../core/errors.js";

/** Accepts a boolean or the strings a command line gives ("true"/"false"). */
const flag = z.union([
  z.boolean(),
  z.enum(["true", "false"], "true or false").transform((s) => s === "true"),
]);

/** A server learning rate η_g: finite and > 0. */
function serverLr(fallback: number) {
  return z.coerce
    .number("a finite number > 0")
    .positive("a finite number > 0")
    .finite("a finite number > 0")
    .default(fallback);
}

/** A decay rate β: the paper's β1, β2 and FedAvgM's momentum all live in [0, 1). */
function decay(fallback: number) {
  return z.coerce
    .number("a number in [0, 1)")
    .gte(0, "a number in [0, 1)")
    .lt(1, "a number in [0, 1)")
    .default(fallback);
}

/** τ, the adaptivity: > 0, so that the denominator √v + τ is never 0. */
const tau = z.coerce
  .number("a finite number > 0")
  .positive("a finite number > 0")
  .finite("a finite number > 0")
  .default(1e-3);

/**
 * FedAvgM's options. `serverLr` defaults to 10^-0.5, Reddi et al.'s best FedAvgM server rate on
 * EMNIST (Flower: 1.0); `serverMomentum` to the paper's 0.9 (Flower: 0, plain FedAvg). The name
 * keeps it apart from the local SGD's `--momentum`.
 */
export const fedAvgMOptionsSchema = z
  .object({ serverLr: serverLr(10 ** -0.5), serverMomentum: decay(0.9) })
  .strict();

/**
 * FedAdagrad's options (β2 does not enter its accumulator). `serverLr` defaults to 10^-1, the
 * paper's best EMNIST server rate (Flower's default too); τ to the paper's 1e-3 (Flower: 1e-9).
 */
export const fedAdagradOptionsSchema = z
  .object({ serverLr: serverLr(10 ** -1), beta1: decay(0.9), tau })
  .strict();

/**
 * FedYogi's options. `serverLr` defaults to 10^-2.5 (the paper's best on EMNIST; Flower: 1e-2),
 * β2 to the paper's 0.999 (Flower: 0.99), τ to 1e-3 (Flower's too).
 */
export const fedYogiOptionsSchema = z
  .object({ serverLr: serverLr(10 ** -2.5), beta1: decay(0.9), beta2: decay(0.999), tau })
  .strict();

/**
 * FedAdam's options: FedYogi's plus `biasCorrection`, off as in the paper; Flower turns it on
 * (with β2 = 0.99, τ = 1e-9 and serverLr = 1e-1).
 */
export const fedAdamOptionsSchema = fedYogiOptionsSchema
  .extend({ biasCorrection: flag.default(false) })
  .strict();

/** FedAvgM's resolved options. */
export type FedAvgMOptions = z.output<typeof fedAvgMOptionsSchema>;
/** FedAdagrad's resolved options. */
export type FedAdagradOptions = z.output<typeof fedAdagradOptionsSchema>;
/** FedYogi's resolved options. */
export type FedYogiOptions = z.output<typeof fedYogiOptionsSchema>;
/** FedAdam's resolved options. */
export type FedAdamOptions = z.output<typeof fedAdamOptionsSchema>;

/** camelCase option key to the command-line flag a user types (`beta1` → `--beta1`). */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Validates raw options (camelCase keys, values as a command line or a config file gives them)
 * against `schema`, filling in defaults.
 * @throws OptionsError naming the first bad option by its flag, e.g. `--beta1`.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  raw: Readonly<Record<string, unknown>>,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === "unrecognized_keys") {
    const key = String(issue.keys[0]);
    throw new OptionsError(flagName(key), raw[key], "an option of this algorithm");
  }
  const key = String(issue?.path[0] ?? "options");
  throw new OptionsError(flagName(key), raw[key], issue?.message ?? "a valid value");
}
