/**
 * {@link robustPrivacyExtension}: the {@link RunExtension} of `--aggregator`, `--attack` and
 * `--dp`. It picks the run's malicious clients (listed in `config.json`), wraps the algorithm's
 * server part in a {@link RobustPrivateServer}, tells label-flip attackers and clients that clip
 * or noise their own update what to do, and stops the run before the round that would take ε past
 * `--dp-target-epsilon`.
 * @module
 */
import { type AttackSpec, parseAttack } from "../contrib/attacks/attack-spec.js";
import { maliciousClients } from "../contrib/attacks/malicious-clients.js";
import { cryptoNormalSource } from "../contrib/privacy/gaussian-noise.js";
import { parseAggregator } from "../contrib/robust/aggregator-spec.js";
import { OptionsError } from "../core/errors.js";
import { Rng } from "../reproducibility/rng.js";
import { deriveState } from "../reproducibility/seed.js";
import type { ClientExtensionSettings } from "./client-update-filter.js";
import type { ExperimentOptions } from "./experiment-options.js";
import {
  assertModelUplink,
  RobustPrivateServer,
  type ServerDpSettings,
} from "./robust-private-server.js";
import { NO_EXTENSION, type RunExtension } from "./run-extension.js";

/** Keeps the server's DP noise apart from every other stream of the run's seed. */
const SERVER_DP_DOMAIN = 0x6470_6e73; // "dpns"

/** What the note in the summary says when the noise came from `node:crypto`. */
export const CRYPTO_NOISE_NOTE =
  "DP noise came from node:crypto (--dp-noise crypto): the results cannot be reproduced from the seed";

/**
 * The extension for `o`'s robustness and privacy options ({@link NO_EXTENSION} when it has none).
 * @param uplink - The algorithm's uplink vector names (model poisoning, robust aggregation and
 *   DP need `model`).
 * @throws OptionsError naming the option an algorithm or trainer cannot serve.
 */
export function robustPrivacyExtension(
  o: ExperimentOptions,
  uplink: readonly string[],
  clientsPerRound: number,
): RunExtension {
  if (o.aggregator === undefined && o.attack === undefined && o.dp === undefined)
    return NO_EXTENSION;
  const aggregator = o.aggregator !== undefined ? parseAggregator(o.aggregator) : undefined;
  const attack: AttackSpec | undefined = o.attack !== undefined ? parseAttack(o.attack) : undefined;
  if (aggregator !== undefined) assertModelUplink(uplink, "--aggregator", o.aggregator);
  if (attack !== undefined && attack.kind !== "label-flip")
    assertModelUplink(uplink, "--attack", o.attack);
  if (o.dp !== undefined) assertModelUplink(uplink, "--dp", o.dp);
  const malicious =
    attack !== undefined ? maliciousClients(o.seed, o.clients, attack.fraction) : [];
  const maliciousSet = new Set(malicious);
  const clientClips = o.dp === "local" || (o.dp === "fixed" && o.dpClipping === "client");
  if (o.trainer === "redis" && (clientClips || attack?.kind === "label-flip"))
    throw new OptionsError(
      o.dp !== undefined && clientClips ? "--dp" : "--attack",
      o.dp !== undefined && clientClips ? o.dp : o.attack,
      "serial, thread or process trainers (Redis workers do not take per-client settings in this version)",
    );
  const noiseMultiplier = o.noiseMultiplier ?? Number.NaN;
  const clip = o.clip ?? 0.1; // Flower's initial clip for adaptive clipping
  const dp: ServerDpSettings | undefined =
    o.dp !== undefined
      ? {
          mode: o.dp,
          clip,
          noiseMultiplier,
          delta: o.dpDelta,
          noiseSource: (round, stream) =>
            o.dpNoise === "crypto"
              ? cryptoNormalSource()
              : Rng.fromWords(deriveState([SERVER_DP_DOMAIN, o.seed, round, stream])),
        }
      : undefined;
  let server: RobustPrivateServer | undefined;
  let stoppedEarly: string | undefined;
  const clientSettings: ClientExtensionSettings = clientClips
    ? {
        clip,
        ...(o.dp === "local" ? { noiseStd: noiseMultiplier * clip } : {}),
        noise: o.dpNoise,
      }
    : {};
  const hasClientSettings = Object.keys(clientSettings).length > 0;
  const extension: RunExtension = {
    wrapServer: (inner) => {
      server = new RobustPrivateServer(inner, {
        seed: o.seed,
        numClients: o.clients,
        clientsPerRound,
        ...(aggregator !== undefined ? { aggregator } : {}),
        ...(attack !== undefined ? { attack, malicious: maliciousSet } : {}),
        ...(dp !== undefined ? { dp } : {}),
      });
      return server;
    },
    clientSettings: (cid) => {
      const labelFlip = attack?.kind === "label-flip" && maliciousSet.has(cid);
      if (!labelFlip && !hasClientSettings) return undefined;
      return { ...clientSettings, ...(labelFlip ? { labelFlip: true } : {}) };
    },
    stopBefore: (round) => {
      if (o.dpTargetEpsilon === undefined || server === undefined) return undefined;
      const next = server.epsilonAfterNextRound();
      if (next <= o.dpTargetEpsilon) return undefined;
      if (round === 0)
        throw new OptionsError(
          "--dp-target-epsilon",
          o.dpTargetEpsilon,
          `a budget of at least ${next}, the epsilon of one round at noise multiplier ${noiseMultiplier}, sample rate ${clientsPerRound}/${o.clients}, delta ${o.dpDelta}`,
        );
      stoppedEarly = `privacy budget: round ${round + 1} would take epsilon to ${next} > --dp-target-epsilon ${o.dpTargetEpsilon} (delta ${o.dpDelta}); stopped after round ${round} at epsilon ${server.epsilon}`;
      return stoppedEarly;
    },
    config: {
      ...(attack !== undefined ? { maliciousClients: malicious } : {}),
      ...(o.dp === "local"
        ? {
            // The classic Gaussian mechanism's ε per release for this noise (Flower's LocalDpMod).
            localDpEpsilonPerRound: Math.sqrt(2 * Math.log(1.25 / o.dpDelta)) / noiseMultiplier,
          }
        : {}),
    },
    summary: () => ({
      ...(stoppedEarly !== undefined ? { stoppedEarly } : {}),
      ...(server !== undefined && o.dp !== undefined
        ? { epsilon: server.epsilon, delta: o.dpDelta }
        : {}),
      ...(o.dp !== undefined && o.dpNoise === "crypto"
        ? { notReproducible: CRYPTO_NOISE_NOTE }
        : {}),
    }),
  };
  return extension;
}
