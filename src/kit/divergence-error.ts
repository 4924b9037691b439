/**
 * {@link DivergenceError}: training blew up (a client's update holds NaN or an infinity). It
 * names the round and the client and suggests what to change, instead of a validation message
 * about `vector[0]` that reads like a bad option.
 * @module
 */
import { WorkerError } from "../core/errors.js";

/** Training diverged; exit code 1 (a `WorkerError`). The last checkpoint is intact. */
export class DivergenceError extends WorkerError {
  /** The 1-based round in which it happened. */
  readonly round: number;

  /**
   * @param round - The 1-based round.
   * @param cid - The client whose update is not finite.
   * @param what - Which value, e.g. "model[12] is NaN".
   * @param hint - What to try, e.g. the learning rate in use.
   */
  constructor(round: number, cid: number, what: string, hint: string) {
    super(cid, `Training diverged in round ${round}: client ${cid}'s ${what}. ${hint}`);
    this.round = round;
  }
}

/** The first non-finite value among `vectors`, as "name[i] is v", or undefined. */
export function firstNonFiniteValue(
  vectors: Readonly<Record<string, Float32Array>>,
): string | undefined {
  for (const [name, v] of Object.entries(vectors)) {
    // v * 0 is NaN exactly for NaN and ±Infinity: a branch-free scan; the index only on failure.
    let check = 0;
    for (let i = 0; i < v.length; i++) check += (v[i] as number) * 0;
    if (check !== 0) {
      const i = v.findIndex((x) => !Number.isFinite(x));
      return `${name}[${i}] is ${v[i]}`;
    }
  }
  return undefined;
}
