/**
 * {@link TextWindowStore}: next-character samples over encoded text, held once: a sample is a
 * start position, its features the next `sequenceLength` characters, its label the one after.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import type { ClassificationStore } from "../store/classification-store.js";
import { TEXT_VOCABULARY_SIZE } from "./text-vocabulary.js";

/**
 * Samples of LEAF Shakespeare's shape: features are `sequenceLength` vocabulary indices as
 * float32 (what an embedding layer reads), the label is the index of the following character.
 * Nothing is copied per sample: windows overlap in one array of codes.
 */
export class TextWindowStore implements ClassificationStore {
  /** The encoded characters every window reads from. */
  readonly codes: Uint8Array;
  /** Each sample's first character, into `codes`. */
  readonly starts: Int32Array;
  /** The number of characters of a sample's features. */
  readonly sequenceLength: number;
  /** @inheritdoc */
  readonly sampleShape: readonly number[];
  /** @inheritdoc */
  readonly sampleSize: number;
  /** @inheritdoc */
  readonly numClasses = TEXT_VOCABULARY_SIZE;

  /**
   * @param codes - Encoded text (see `encodeText`).
   * @param starts - Window starts; each needs `sequenceLength + 1` characters from it.
   * @param sequenceLength - Characters per sample.
   */
  constructor(codes: Uint8Array, starts: Int32Array, sequenceLength: number) {
    if (!Number.isInteger(sequenceLength) || sequenceLength < 1)
      throw new OptionsError("sequenceLength", sequenceLength, "a positive integer");
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i] as number;
      if (s < 0 || s + sequenceLength >= codes.length)
        throw new OptionsError(
          `starts[${i}]`,
          s,
          `a start in [0, ${codes.length - sequenceLength - 1}]`,
        );
    }
    this.codes = codes;
    this.starts = starts;
    this.sequenceLength = sequenceLength;
    this.sampleShape = Object.freeze([sequenceLength]);
    this.sampleSize = sequenceLength;
  }

  /** @inheritdoc */
  get length(): number {
    return this.starts.length;
  }

  /** Every sample's label, in sample order (for partitioning by label). */
  labels(): Uint8Array {
    const out = new Uint8Array(this.starts.length);
    for (let i = 0; i < out.length; i++) out[i] = this.label(i);
    return out;
  }

  /** @inheritdoc */
  label(index: number): number {
    return this.codes[(this.starts[index] as number) + this.sequenceLength] as number;
  }

  /** @inheritdoc */
  readFeatures(index: number, out: Float32Array, offset: number): void {
    const start = this.starts[index] as number;
    for (let j = 0; j < this.sequenceLength; j++) out[offset + j] = this.codes[start + j] as number;
  }
}
