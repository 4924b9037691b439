/**
 * Seeded client sampling: each round's clients are a pure function of (seed, round), so a
 * resumed run, a second call in the same round, or another machine draws the same ids, and
 * sampling needs no RNG state in checkpoints.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { assertNonNegativeInteger, assertPositiveInteger } from "../core/validate.js";
import { Rng } from "../reproducibility/rng.js";
import { assertSeed, deriveState } from "../reproducibility/seed.js";

const SAMPLING_DOMAIN = 0x7361_6d70; // "samp"

/**
 * `count` distinct client ids out of `numClients`, sorted, drawn uniformly without replacement
 * from a generator derived from (seed, round) alone.
 * @param round - The 0-based round.
 */
export function sampleClients(
  seed: number,
  round: number,
  numClients: number,
  count: number,
): number[] {
  assertSeed("seed", seed);
  assertNonNegativeInteger("round", round);
  assertPositiveInteger("numClients", numClients);
  assertPositiveInteger("count", count);
  if (count > numClients)
    throw new OptionsError("count", count, `at most numClients (${numClients})`);
  const rng = Rng.fromWords(deriveState([SAMPLING_DOMAIN, seed, round]));
  return rng.sampleWithoutReplacement(numClients, count).sort((a, b) => a - b);
}

/**
 * A seeded subset of `fraction` of `ids` (floor, at least 0), a pure function of (seed, round,
 * domain), sorted: e.g. FedProx's stragglers among a round's clients.
 */
export function seededSubset(
  ids: readonly number[],
  fraction: number,
  seed: number,
  round: number,
  domain: number,
): number[] {
  const k = Math.floor(ids.length * fraction);
  if (k === 0) return [];
  const rng = Rng.fromWords(deriveState([domain, seed, round]));
  return rng
    .sampleWithoutReplacement(ids.length, k)
    .map((i) => ids[i] as number)
    .sort((a, b) => a - b);
}
