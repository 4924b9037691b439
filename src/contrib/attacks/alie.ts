/**
 * "A Little Is Enough" (Baruch, Baruch and Goldberg, NeurIPS 2019): every malicious client sends
 * mean - z * std of the honest updates, per coordinate. The shift is small enough that median-
 * and Krum-style defences keep the malicious updates, yet consistent enough to steer the model.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { normalQuantile } from "../math/normal-distribution.js";
import { assertUpdateSet } from "../robust/update-set.js";

/**
 * The paper's z_max for n clients of which m are malicious: s = floor(n/2 + 1) - m clients must
 * be won over, and z = Phi^-1((n - s) / n). When the attackers are a majority (s < 1) it is
 * taken at s = 1, the largest finite value.
 * @param numClients - n, the clients taking part (a round's sampled clients), >= 1.
 * @param numMalicious - m, how many of them are malicious, in [0, n].
 */
export function alieZ(numClients: number, numMalicious: number): number {
  if (!Number.isInteger(numClients) || numClients < 1)
    throw new OptionsError("numClients", numClients, "a positive integer");
  if (!Number.isInteger(numMalicious) || numMalicious < 0 || numMalicious > numClients)
    throw new OptionsError("numMalicious", numMalicious, `an integer in [0, ${numClients}]`);
  const s = Math.max(1, Math.floor(numClients / 2 + 1) - numMalicious);
  return numClients === 1 ? 0 : normalQuantile((numClients - s) / numClients);
}

/**
 * mean - z * std of `honestUpdates` per coordinate (the population std, numpy's default), as a
 * new array: the update every malicious client sends.
 * Memory: needs the honest updates at once, O(n * d) held by the caller; O(d) here.
 * @param honestUpdates - The benign updates the attackers can see (in a simulation, the honest
 *   clients' updates of the round, or the attackers' own honestly trained ones), >= 1.
 * @param z - From {@link alieZ}.
 */
export function alieUpdate(honestUpdates: readonly Float32Array[], z: number): Float32Array {
  const length = assertUpdateSet(honestUpdates);
  if (typeof z !== "number" || !Number.isFinite(z))
    throw new OptionsError("z", z, "a finite number");
  const n = honestUpdates.length;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const u of honestUpdates) sum += u[i] as number;
    const mean = sum / n;
    let sq = 0;
    for (const u of honestUpdates) {
      const d = (u[i] as number) - mean;
      sq += d * d;
    }
    out[i] = mean - z * Math.sqrt(sq / n);
  }
  return out;
}
