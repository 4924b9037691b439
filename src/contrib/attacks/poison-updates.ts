/**
 * Applies a model-poisoning attack to one round's updates on the server side, where the
 * simulation holds them all: the honest updates in, the updates the server would receive out.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertUpdateSet } from "../robust/update-set.js";
import { alieUpdate, alieZ } from "./alie.js";
import type { AttackSpec } from "./attack-spec.js";
import { attackStream, gaussianUpdate } from "./gaussian-attack.js";
import { signFlip } from "./sign-flip.js";

/** One round's honestly trained updates and who sent them. */
export interface RoundUpdates {
  /** The run's seed (Gaussian attackers draw from `attackStream(seed, cid, round)`). */
  readonly seed: number;
  /** The round, as the run numbers it. */
  readonly round: number;
  /** The sampled client ids, in the order of `updates` (client-id order). */
  readonly cids: readonly number[];
  /** Each client's honest update Delta = x_client - x_global (not the model). */
  readonly updates: readonly Float32Array[];
  /** The run's malicious clients (from `maliciousClients`). */
  readonly malicious: ReadonlySet<number>;
}

/**
 * The updates after the attack: honest clients' arrays are passed through as they are, each
 * malicious client's is replaced. `label-flip` changes nothing here (it poisons the training
 * labels on the client, see `flipLabels`). ALIE uses the honest clients' updates of the round
 * (an omniscient attacker; the malicious clients' own updates when every sampled client is
 * malicious), with n the sampled clients and m the malicious ones among them.
 * Memory: `sign-flip` and `gaussian` work one update at a time; `alie` needs the round's
 * honest updates at once, O(n * d).
 */
export function poisonUpdates(spec: AttackSpec, input: RoundUpdates): Float32Array[] {
  const { cids, updates, malicious } = input;
  assertUpdateSet(updates);
  if (cids.length !== updates.length)
    throw new OptionsError("cids", cids, `one client id per update (${updates.length})`);
  const isMalicious = cids.map((cid) => malicious.has(cid));
  const numMalicious = isMalicious.filter(Boolean).length;
  if (numMalicious === 0 || spec.kind === "label-flip") return [...updates];
  let alie: Float32Array | undefined;
  if (spec.kind === "alie") {
    const honest = updates.filter((_, k) => !isMalicious[k]);
    alie = alieUpdate(honest.length > 0 ? honest : updates, alieZ(cids.length, numMalicious));
  }
  return updates.map((update, k) => {
    if (!isMalicious[k]) return update;
    switch (spec.kind) {
      case "sign-flip":
        return signFlip(update, spec.scale);
      case "gaussian":
        return gaussianUpdate(
          update.length,
          spec.std,
          attackStream(input.seed, cids[k] as number, input.round),
        );
      default:
        return (alie as Float32Array).slice();
    }
  });
}
