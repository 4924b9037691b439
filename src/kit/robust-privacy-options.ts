/**
 * The run options of robust aggregation, attack simulation and differential privacy
 * (`--aggregator`, `--attack`, `--dp` and its settings): the checks across them that need the
 * rest of the run's options (the clients per round), run once by `resolveRunOptions` after the
 * experiment schema has parsed each value. Specs are kept as normalised text (`krum:2`, `sign-flip:0.2:1`), so resolved
 * options stay JSON and can be passed in again.
 * @module
 */

import { formatAttack, parseAttack } from "../contrib/attacks/attack-spec.js";
import { maliciousClients } from "../contrib/attacks/malicious-clients.js";
import {
  adaptiveClippingNoiseMultiplier,
  defaultClippedCountStddev,
} from "../contrib/privacy/adaptive-clipping.js";
import {
  assertAggregatorFits,
  formatAggregator,
  parseAggregator,
} from "../contrib/robust/index.js";
import { OptionsError } from "../core/errors.js";

/** The DP mechanisms `--dp` selects. */
export const DP_MODES = ["fixed", "adaptive", "local"] as const;
/** Who clips in `--dp fixed`. */
export const DP_CLIPPING = ["server", "client"] as const;
/** Where DP noise comes from. */
export const DP_NOISE = ["seeded", "crypto"] as const;

/** The default δ of the accountant (`--dp-delta`). */
export const DEFAULT_DP_DELTA = 1e-5;

/** The resolved robustness and privacy options of a run (part of `ExperimentOptions`). */
export interface RobustPrivacyOptions {
  /** The aggregator spec, normalised (`median`, `krum:2`, …); `undefined`: the algorithm's own mean. */
  readonly aggregator?: string | undefined;
  /** The attack spec, normalised (`sign-flip:0.2:1`, …); `undefined`: no attackers. */
  readonly attack?: string | undefined;
  /** The DP mechanism; `undefined`: none. */
  readonly dp?: (typeof DP_MODES)[number] | undefined;
  /** The clip norm C (the initial one for adaptive clipping). */
  readonly clip?: number | undefined;
  /** The noise multiplier σ the accountant is given. */
  readonly noiseMultiplier?: number | undefined;
  /** The δ at which ε is reported. */
  readonly dpDelta: number;
  /** Who clips in `--dp fixed` (server unless given). */
  readonly dpClipping?: (typeof DP_CLIPPING)[number] | undefined;
  /** Stop before the round that would take ε past this. */
  readonly dpTargetEpsilon?: number | undefined;
  /** Seeded (reproducible) or cryptographic (not reproducible) noise. */
  readonly dpNoise: (typeof DP_NOISE)[number];
}

/** The raw values of these options, as the experiment schema parsed them. */
export type RawRobustPrivacyOptions = {
  readonly [K in keyof RobustPrivacyOptions]?: RobustPrivacyOptions[K] | undefined;
};

/**
 * Checks the robustness and privacy options against each other and the run's size, so a bad
 * combination fails at start-up with exit 2 naming the option, not in round 1.
 * @param numClients - N. @param clientsPerRound - m = floor(N * sample ratio).
 * @throws OptionsError naming the option.
 */
export function resolveRobustPrivacyOptions(
  raw: RawRobustPrivacyOptions,
  seed: number,
  numClients: number,
  clientsPerRound: number,
): RobustPrivacyOptions {
  let aggregator: string | undefined;
  if (raw.aggregator !== undefined) {
    const spec = parseAggregator(raw.aggregator, "--aggregator");
    assertAggregatorFits(spec, clientsPerRound, "--aggregator");
    if ((spec.kind === "krum" || spec.kind === "multi-krum") && clientsPerRound < spec.f + 3)
      throw new OptionsError(
        "--aggregator",
        raw.aggregator,
        `an F with F + 3 <= the ${clientsPerRound} clients per round (Krum scores need n - F - 2 >= 1 neighbours)`,
      );
    aggregator = spec.kind === "mean" ? undefined : formatAggregator(spec);
  }
  let attack: string | undefined;
  if (raw.attack !== undefined) {
    const spec = parseAttack(raw.attack, "--attack");
    maliciousClients(seed, numClients, spec.fraction, "--attack");
    attack = formatAttack(spec);
  }
  const dp = raw.dp;
  if (dp === undefined) {
    for (const key of ["clip", "noiseMultiplier", "dpClipping", "dpTargetEpsilon"] as const)
      if (raw[key] !== undefined)
        throw new OptionsError(
          FLAGS[key],
          raw[key],
          "nothing unless --dp is fixed, adaptive or local",
        );
  } else {
    if (raw.noiseMultiplier === undefined)
      throw new OptionsError(
        "--noise-multiplier",
        undefined,
        `a noise multiplier > 0 with --dp ${dp}`,
      );
    if (dp !== "adaptive" && raw.clip === undefined)
      throw new OptionsError("--clip", undefined, `a clip norm > 0 with --dp ${dp}`);
    if (raw.dpClipping !== undefined && dp !== "fixed")
      throw new OptionsError(
        "--dp-clipping",
        raw.dpClipping,
        `nothing with --dp ${dp} (${dp === "local" ? "local DP clips on the client" : "adaptive clipping clips on the server"})`,
      );
    if (aggregator !== undefined)
      throw new OptionsError(
        "--aggregator",
        aggregator,
        "mean (or no --aggregator) with --dp: DP-FedAvg's noise is calibrated to the mean",
      );
    if (dp === "adaptive") {
      try {
        adaptiveClippingNoiseMultiplier(
          raw.noiseMultiplier,
          defaultClippedCountStddev(clientsPerRound),
        );
      } catch (error) {
        throw new OptionsError(
          "--noise-multiplier",
          raw.noiseMultiplier,
          `a noise multiplier below ${clientsPerRound / 10} (twice the clipped-count noise m/20 of adaptive clipping at ${clientsPerRound} clients per round)`,
          { cause: error },
        );
      }
    }
  }
  return {
    aggregator,
    attack,
    dp,
    clip: raw.clip,
    noiseMultiplier: raw.noiseMultiplier,
    dpDelta: raw.dpDelta ?? DEFAULT_DP_DELTA,
    dpClipping: raw.dpClipping,
    dpTargetEpsilon: raw.dpTargetEpsilon,
    dpNoise: raw.dpNoise ?? "seeded",
  };
}

/** The options of this group that change results, for a run's result digest (resume checks them). */
export function robustPrivacyDigestKeys(o: RobustPrivacyOptions): Record<string, unknown> {
  // --dp-target-epsilon only decides how many rounds run, like --rounds. A run without any of
  // these options keeps the digest it had before they existed.
  if (o.aggregator === undefined && o.attack === undefined && o.dp === undefined) return {};
  return {
    aggregator: o.aggregator,
    attack: o.attack,
    dp: o.dp,
    clip: o.clip,
    noiseMultiplier: o.noiseMultiplier,
    dpDelta: o.dpDelta,
    dpClipping: o.dpClipping,
    dpNoise: o.dpNoise,
  };
}

const FLAGS = {
  clip: "--clip",
  noiseMultiplier: "--noise-multiplier",
  dpClipping: "--dp-clipping",
  dpTargetEpsilon: "--dp-target-epsilon",
} as const;
