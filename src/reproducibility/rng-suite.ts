/**
 * {@link RngSuite}: the named, independent generators of one run, all from one seed.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { Rng, type RngState } from "./rng.js";
import { assertSeed, deriveState } from "./seed.js";

/** The streams a run draws from; each is independent of the others. */
export const RNG_STREAMS = ["sampling", "partition", "init", "data", "misc"] as const;

/** The name of one stream of an {@link RngSuite}. */
export type RngStreamName = (typeof RNG_STREAMS)[number];

/** The captured state of a whole {@link RngSuite}: plain data, JSON-safe. */
export interface RngSuiteState {
  /** The seed the suite was created with. */
  readonly seed: number;
  /** The state of each stream. */
  readonly streams: Readonly<Record<RngStreamName, RngState>>;
}

/** One run's random generators, all derived from one seed. */
export class RngSuite {
  /** The seed the suite was created from. */
  readonly seed: number;
  /** Client sampling on the server. */
  readonly sampling: Rng;
  /** Data partitioning. */
  readonly partition: Rng;
  /** Model initialisation. */
  readonly init: Rng;
  /** Data generation and shuffling outside the clients. */
  readonly data: Rng;
  /** Anything else. */
  readonly misc: Rng;

  /** @param seed - An integer in [0, 2^32 - 1]. */
  constructor(seed: number) {
    assertSeed("seed", seed);
    this.seed = seed;
    const make = (i: number) => Rng.fromWords(deriveState([0x7375_6974, seed, i]));
    this.sampling = make(0);
    this.partition = make(1);
    this.init = make(2);
    this.data = make(3);
    this.misc = make(4);
  }

  /** The state of every stream, to restore later with {@link RngSuite.restoreState}. */
  captureState(): RngSuiteState {
    const streams = {} as Record<RngStreamName, RngState>;
    for (const name of RNG_STREAMS) streams[name] = this[name].captureState();
    return { seed: this.seed, streams };
  }

  /** Restores every stream to a captured state; the following draws repeat exactly. */
  restoreState(state: RngSuiteState): void {
    if (state === null || typeof state !== "object" || state.seed !== this.seed)
      throw new OptionsError("state.seed", state?.seed, `the suite's seed (${this.seed})`);
    for (const name of RNG_STREAMS) {
      const s = state.streams?.[name];
      if (s === undefined)
        throw new OptionsError(`state.streams.${name}`, s, "a captured RngState");
      this[name].restoreState(s);
    }
  }
}

/**
 * Creates the generators of one run from `seed`.
 * @example const rngs = createRngSuite(42); rngs.sampling.sampleWithoutReplacement(100, 10);
 */
export function createRngSuite(seed: number): RngSuite {
  return new RngSuite(seed);
}
