/**
 * The malicious clients of a run: a seeded subset of ALL clients, fixed for the whole run (so
 * each round's malicious share varies with the sampling, as it would in a real federation).
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { Rng } from "../../reproducibility/rng.js";
import { assertSeed, deriveState } from "../../reproducibility/seed.js";

/** Keeps this stream apart from every other stream derived from the run's seed. */
const MALICIOUS_DOMAIN = 0x6d61_6c69; // "mali"

/**
 * The ids of the malicious clients, ascending: round(fraction * numClients) of 0..numClients-1,
 * drawn without replacement from a stream that depends on the seed alone. A pure function of
 * (seed, numClients, fraction); and for one seed and numClients a smaller fraction gives a
 * subset of a larger one's clients.
 * @param option - The name used in errors (the CLI's `--attack`).
 * @throws OptionsError naming `option` when the fraction is outside (0, 1) or makes no client
 *   malicious.
 */
export function maliciousClients(
  seed: number,
  numClients: number,
  fraction: number,
  option = "--attack",
): number[] {
  assertSeed("seed", seed);
  assertPositiveInteger("numClients", numClients);
  if (typeof fraction !== "number" || !(fraction > 0 && fraction < 1))
    throw new OptionsError(option, fraction, "a fraction of malicious clients in (0, 1)");
  const count = Math.round(fraction * numClients);
  if (count < 1)
    throw new OptionsError(
      option,
      fraction,
      `a fraction that makes at least one of the ${numClients} clients malicious`,
    );
  const rng = Rng.fromWords(deriveState([MALICIOUS_DOMAIN, seed]));
  return rng.sampleWithoutReplacement(numClients, count).sort((a, b) => a - b);
}

/** How many of `sampled` (a round's client ids) are in `malicious`: the per-round metric. */
export function countMalicious(sampled: readonly number[], malicious: ReadonlySet<number>): number {
  let count = 0;
  for (const cid of sampled) if (malicious.has(cid)) count++;
  return count;
}
