/**
 * Per-client random streams. A client's randomness (its batch order, dropout, ...) is a pure
 * function of (seed, cid, round), so which worker runs a client never changes the result.
 *
 * @module
 */
import { assertNonNegativeInteger } from "../core/validate.js";
import { Rng } from "./rng.js";
import { assertSeed, deriveState } from "./seed.js";

/** Domain tags keep streams derived for different purposes apart. */
const CLIENT_DOMAIN = 0x636c_6e74; // "clnt"

/**
 * An independent generator for client `cid` in `round`, a pure function of its inputs.
 * @param seed - The run's seed, an integer in [0, 2^32 - 1].
 * @param cid - The client id, a non-negative integer.
 * @param round - The round, a non-negative integer (0-based or 1-based, as long as it is consistent).
 * @param stream - An optional sub-stream number, for several independent streams per client round.
 */
export function clientStream(seed: number, cid: number, round: number, stream = 0): Rng {
  assertSeed("seed", seed);
  assertNonNegativeInteger("cid", cid);
  assertNonNegativeInteger("round", round);
  assertNonNegativeInteger("stream", stream);
  return Rng.fromWords(deriveState([CLIENT_DOMAIN, seed, cid, round, stream]));
}
