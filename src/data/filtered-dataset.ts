/**
 * {@link FilteredDataset}: a view of a dataset through a list of indices, without copying it
 * (BlazeFL's `blazefl.utils.FilteredDataset`): the data layer's implementation of the dataset
 * that core's `PartitionedDataset` hands out.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { ClientDataset, Sample } from "../core/partitioned-dataset.js";

/** Anything indexable with a length: an array, or a lazily materialised store. */
export interface IndexedSource<T> {
  /** The number of items. */
  readonly length: number;
  /** The item at `index`, 0 <= index < length. */
  at(index: number): T | undefined;
}

/**
 * A view of `data` (and `targets`) restricted to `indices`, with optional per-sample transforms
 * (BlazeFL's `FilteredDataset`). Items are read on access; nothing is copied.
 */
export class FilteredDataset<X, Y> implements ClientDataset<X, Y> {
  /** The indices into the underlying data, in view order. */
  readonly indices: Int32Array;
  readonly #data: IndexedSource<X>;
  readonly #targets: IndexedSource<Y> | undefined;
  readonly #transform: ((x: X) => X) | undefined;
  readonly #targetTransform: ((y: Y) => Y) | undefined;

  /**
   * @param indices - Indices into `data`; each must be an integer in [0, data.length).
   * @param data - The underlying inputs.
   * @param targets - The underlying targets; must have `data.length` items.
   * @param transform - Applied to each input on access.
   * @param targetTransform - Applied to each target on access.
   */
  constructor(
    indices: ArrayLike<number>,
    data: IndexedSource<X>,
    targets?: IndexedSource<Y>,
    transform?: (x: X) => X,
    targetTransform?: (y: Y) => Y,
  ) {
    if (targets !== undefined && targets.length !== data.length)
      throw new OptionsError(
        "targets.length",
        targets.length,
        `the same length as data (${data.length})`,
      );
    const idx = Int32Array.from(indices);
    for (let i = 0; i < idx.length; i++) {
      const v = indices[i] as number;
      if (!Number.isInteger(v) || v < 0 || v >= data.length)
        throw new OptionsError(`indices[${i}]`, v, `an integer in [0, ${data.length})`);
    }
    this.indices = idx;
    this.#data = data;
    this.#targets = targets;
    this.#transform = transform;
    this.#targetTransform = targetTransform;
  }

  /** The number of samples in the view. */
  get length(): number {
    return this.indices.length;
  }

  /** The sample at view position `i`. */
  get(i: number): Sample<X, Y> {
    if (!Number.isInteger(i) || i < 0 || i >= this.indices.length)
      throw new OptionsError("i", i, `an integer in [0, ${this.indices.length})`);
    const j = this.indices[i] as number;
    const rawX = this.#data.at(j) as X;
    const x = this.#transform ? this.#transform(rawX) : rawX;
    if (this.#targets === undefined) return { x, y: undefined };
    const rawY = this.#targets.at(j) as Y;
    return { x, y: this.#targetTransform ? this.#targetTransform(rawY) : rawY };
  }

  /** The raw target at view position `i`, without the input (cheap label statistics). */
  targetAt(i: number): Y | undefined {
    const j = this.indices[i];
    if (j === undefined || this.#targets === undefined) return undefined;
    return this.#targets.at(j);
  }

  /** Iterates the samples in view order. */
  *[Symbol.iterator](): IterableIterator<Sample<X, Y>> {
    for (let i = 0; i < this.indices.length; i++) yield this.get(i);
  }
}
