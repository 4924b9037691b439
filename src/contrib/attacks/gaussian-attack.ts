/**
 * The Gaussian attack: the client sends random noise instead of its update.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { clientStream } from "../../reproducibility/client-stream.js";
import type { Rng } from "../../reproducibility/rng.js";
import type { NormalSource } from "../privacy/gaussian-noise.js";

/** The sub-stream of {@link clientStream} that attacks draw from ("atk"), apart from training's. */
export const ATTACK_STREAM = 0x61_746b;

/**
 * The generator a malicious client's attack draws from in `round`: a pure function of (seed,
 * cid, round), so which worker or trainer kind runs the client never changes the attack.
 */
export function attackStream(seed: number, cid: number, round: number): Rng {
  return clientStream(seed, cid, round, ATTACK_STREAM);
}

/**
 * An update of `length` independent N(0, std^2) values (drawn in coordinate order).
 * @param std - > 0. @default 1
 * @param source - Use {@link attackStream} for reproducible runs.
 */
export function gaussianUpdate(length: number, std: number, source: NormalSource): Float32Array {
  if (!Number.isInteger(length) || length < 0)
    throw new OptionsError("length", length, "a non-negative integer");
  if (typeof std !== "number" || !(std > 0) || !Number.isFinite(std))
    throw new OptionsError("std", std, "a finite number > 0");
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = std * source.normal();
  return out;
}
