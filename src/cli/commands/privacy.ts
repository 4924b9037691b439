/**
 * `blazefl privacy`: the RDP accountant on the command line.
 * - `blazefl privacy epsilon --noise-multiplier Z --sample-rate Q --steps N --delta D [--json]`
 *   prints the epsilon spent by N steps of the sampled Gaussian mechanism;
 * - `blazefl privacy noise --epsilon E --delta D --sample-rate Q --steps N
 *   [--epsilon-tolerance T] [--json]` prints the noise multiplier that reaches epsilon E.
 * In DP-FedAvg a step is a round and Q is clients per round over all clients.
 * @module
 */
import type { Writable } from "node:stream";
import { Command } from "commander";
import { z } from "zod";
import { findNoiseMultiplier } from "../../contrib/privacy/noise-multiplier.js";
import { computeEpsilon } from "../../contrib/privacy/rdp-accountant.js";
import { OptionsError } from "../../core/errors.js";
import { flagName } from "../../kit/experiment-options.js";

const POSITIVE = "a finite number > 0";
const RATE = "a sample rate in (0, 1]";
const DELTA = "a number in (0, 1)";
const STEPS = "a positive integer";

/** Every flag of `blazefl privacy`; each subcommand picks its own. */
export const privacyFlagsSchema = z
  .object({
    noiseMultiplier: z.coerce.number(POSITIVE).gt(0, POSITIVE).finite(POSITIVE),
    epsilon: z.coerce.number(POSITIVE).gt(0, POSITIVE).finite(POSITIVE),
    sampleRate: z.coerce.number(RATE).gt(0, RATE).lte(1, RATE),
    steps: z.coerce.number(STEPS).int(STEPS).positive(STEPS).max(Number.MAX_SAFE_INTEGER, STEPS),
    delta: z.coerce.number(DELTA).gt(0, DELTA).lt(1, DELTA),
    epsilonTolerance: z.coerce.number(POSITIVE).gt(0, POSITIVE).finite(POSITIVE).default(0.01),
    json: z.boolean().default(false),
  })
  .strict();

const epsilonFlags = privacyFlagsSchema.pick({
  noiseMultiplier: true,
  sampleRate: true,
  steps: true,
  delta: true,
  json: true,
});
const noiseFlags = privacyFlagsSchema.pick({
  epsilon: true,
  sampleRate: true,
  steps: true,
  delta: true,
  epsilonTolerance: true,
  json: true,
});

/**
 * Validates `flags` (commander's camelCase options) with `schema`.
 * @throws OptionsError naming the first bad flag as the user wrote it.
 */
function parseFlags<T extends z.ZodType>(
  schema: T,
  flags: Readonly<Record<string, unknown>>,
): z.output<T> {
  const parsed = schema.safeParse(flags);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue?.path[0] ?? "options");
  throw new OptionsError(flagName(key), flags[key], issue?.message ?? "a valid value");
}

/** Streams of {@link privacyCommand}. */
export interface PrivacyCommandOptions {
  /** Where results go. @default process.stdout */
  readonly stdout?: Writable;
}

/** The `privacy` command and its `epsilon` and `noise` subcommands. */
export function privacyCommand(options: PrivacyCommandOptions = {}): Command {
  const stdout = () => options.stdout ?? process.stdout;
  const privacy = new Command("privacy").description(
    "Privacy accounting (RDP of the sampled Gaussian mechanism, as Opacus)",
  );

  privacy
    .command("epsilon")
    .description("Print the epsilon spent by STEPS steps of the sampled Gaussian mechanism")
    .option("--noise-multiplier <z>", "noise standard deviation over the clip norm (sigma > 0)")
    .option("--sample-rate <q>", "probability a client takes part in a step, in (0, 1]")
    .option("--steps <n>", "number of steps (rounds)")
    .option("--delta <d>", "delta, in (0, 1)")
    .option("--json", "print one JSON object")
    .action((flags: Record<string, unknown>) => {
      const o = parseFlags(epsilonFlags, flags);
      const { epsilon, order } = computeEpsilon(o);
      stdout().write(
        o.json
          ? `${JSON.stringify({ epsilon, delta: o.delta, order, noiseMultiplier: o.noiseMultiplier, sampleRate: o.sampleRate, steps: o.steps })}\n`
          : `epsilon = ${epsilon} at delta = ${o.delta} (noise multiplier ${o.noiseMultiplier}, sample rate ${o.sampleRate}, ${o.steps} steps; best Renyi order ${order})\n`,
      );
    });

  privacy
    .command("noise")
    .description("Print the noise multiplier whose epsilon after STEPS steps is at most EPSILON")
    .option("--epsilon <e>", "the privacy budget to reach (> 0)")
    .option("--delta <d>", "delta, in (0, 1)")
    .option("--sample-rate <q>", "probability a client takes part in a step, in (0, 1]")
    .option("--steps <n>", "number of steps (rounds)")
    .option("--epsilon-tolerance <t>", "how far under the budget the result may be", "0.01")
    .option("--json", "print one JSON object")
    .action((flags: Record<string, unknown>) => {
      const o = parseFlags(noiseFlags, flags);
      let noiseMultiplier: number;
      try {
        noiseMultiplier = findNoiseMultiplier({ ...o, targetEpsilon: o.epsilon });
      } catch (error) {
        if (error instanceof OptionsError && error.option === "targetEpsilon")
          throw new OptionsError("--epsilon", o.epsilon, error.expected, { cause: error });
        throw error;
      }
      const spent = computeEpsilon({ ...o, noiseMultiplier });
      stdout().write(
        o.json
          ? `${JSON.stringify({ noiseMultiplier, epsilon: spent.epsilon, targetEpsilon: o.epsilon, delta: o.delta, sampleRate: o.sampleRate, steps: o.steps })}\n`
          : `noise multiplier = ${noiseMultiplier} (epsilon ${spent.epsilon} <= ${o.epsilon} at delta = ${o.delta}, sample rate ${o.sampleRate}, ${o.steps} steps)\n`,
      );
    });

  // main.ts sets the exit codes of the top-level commands only; a usage error in a subcommand
  // (an unknown flag) is a bad option too: exit 2, not commander's 1.
  for (const sub of privacy.commands)
    sub.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  return privacy;
}
