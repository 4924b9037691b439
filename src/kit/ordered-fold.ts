/**
 * {@link OrderedFold}: results arrive in any order (several workers, Redis), but aggregation
 * must fold them in one fixed order for bit-identical models. This holds early arrivals until
 * their predecessors are in, then hands each to `fold` in the expected order.
 * @module
 */
import { OptionsError } from "../core/errors.js";

/** Folds keyed results in a fixed order, whatever order they arrive in. */
export class OrderedFold<T> {
  readonly #expected: readonly number[];
  readonly #positions: Map<number, number>;
  readonly #pending = new Map<number, T>();
  readonly #received = new Set<number>();
  readonly #fold: (item: T, cid: number) => void;
  #next = 0;

  /**
   * @param expected - The ids in folding order (distinct).
   * @param fold - Called once per id, in `expected` order.
   */
  constructor(expected: readonly number[], fold: (item: T, cid: number) => void) {
    this.#expected = [...expected];
    this.#positions = new Map(this.#expected.map((cid, i) => [cid, i]));
    if (this.#positions.size !== this.#expected.length)
      throw new OptionsError("expected", expected, "distinct client ids");
    this.#fold = fold;
  }

  /** Whether every expected id has been folded. */
  get done(): boolean {
    return this.#next === this.#expected.length;
  }

  /**
   * Takes the result of `cid`; folds it and any held successors when it is next. A second
   * result for the same id is ignored (false), so a re-delivered result is harmless.
   * @returns true when this call completed the fold.
   */
  add(cid: number, item: T): boolean {
    if (!this.#positions.has(cid))
      throw new OptionsError(
        "cid",
        cid,
        `one of this round's clients (${this.#expected.join(", ")})`,
      );
    if (this.#received.has(cid)) return false;
    this.#received.add(cid);
    this.#pending.set(cid, item);
    while (this.#next < this.#expected.length) {
      const id = this.#expected[this.#next] as number;
      const held = this.#pending.get(id);
      if (held === undefined) break;
      this.#pending.delete(id);
      this.#fold(held, id);
      this.#next++;
    }
    return this.done;
  }
}
