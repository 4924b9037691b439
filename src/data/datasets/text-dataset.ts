/**
 * {@link buildTextSamples}: the `text` dataset's samples and natural clients from a corpus:
 * LEAF Shakespeare's next-character task on any plain text.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { DataError } from "../errors.js";
import type { TextCorpus } from "./text-corpus.js";
import { encodeText } from "./text-vocabulary.js";
import { TextWindowStore } from "./text-window-store.js";

/** LEAF Shakespeare's sequence length. */
export const TEXT_SEQUENCE_LENGTH = 80;

/** The share of each text that trains; the rest (its end) tests, as LEAF's 80/20 split. */
export const TEXT_TRAIN_FRACTION = 0.8;

/** The samples of a corpus, in a train and a test store, and who holds which. */
export interface TextSamples {
  /** Every training window. */
  readonly train: TextWindowStore;
  /** Every test window. */
  readonly test: TextWindowStore;
  /**
   * With `numClients`: each client's training windows (indices into `train`), then its test
   * windows (into `test`); without, one entry per unit.
   */
  readonly trainGroups: readonly Int32Array[];
  /** See {@link TextSamples.trainGroups}. */
  readonly testGroups: readonly Int32Array[];
}

/**
 * Cuts the corpus into texts, each split at 80 % into a training head and a test tail, and
 * makes every window of `sequenceLength + 1` characters inside a part a sample (stride 1, as
 * LEAF). With `numClients` (the natural partition), client `c` is the concatenation (joined by a
 * newline) of units `floor(c * U / N)` up to the next client's first, so contiguous files or
 * paragraphs form a client; without, each unit is its own text.
 *
 * @throws OptionsError naming `--clients` when there are fewer units than clients; DataError when
 *   a client's training part is shorter than one sample.
 */
export function buildTextSamples(
  corpus: TextCorpus,
  numClients?: number,
  sequenceLength = TEXT_SEQUENCE_LENGTH,
): TextSamples {
  assertPositiveInteger("sequenceLength", sequenceLength);
  const units = corpus.units;
  let texts: { source: string; text: string }[];
  if (numClients === undefined) texts = units.map((u) => ({ source: u.source, text: u.text }));
  else {
    assertPositiveInteger("--clients", numClients);
    if (numClients > units.length)
      throw new OptionsError(
        "--clients",
        numClients,
        `at most ${units.length}, the number of ${corpus.kind}s of the text corpus (--partition natural gives each client whole ${corpus.kind}s)`,
      );
    texts = [];
    for (let c = 0; c < numClients; c++) {
      const from = Math.floor((c * units.length) / numClients);
      const to = Math.floor(((c + 1) * units.length) / numClients);
      const mine = units.slice(from, to);
      texts.push({
        source: `${mine[0]?.source}..${mine.at(-1)?.source}`,
        text: mine.map((u) => u.text).join("\n"),
      });
    }
  }
  const encoded = texts.map((t) => encodeText(t.text));
  const total = encoded.reduce((n, e) => n + e.length, 0);
  const codes = new Uint8Array(total);
  const trainStarts: number[] = [];
  const testStarts: number[] = [];
  const trainGroups: Int32Array[] = [];
  const testGroups: Int32Array[] = [];
  let base = 0;
  for (const [t, e] of encoded.entries()) {
    codes.set(e, base);
    const cut = Math.floor(e.length * TEXT_TRAIN_FRACTION);
    const group = (from: number, to: number, starts: number[]) => {
      const first = starts.length;
      for (let s = from; s + sequenceLength < to; s++) starts.push(base + s);
      return Int32Array.from({ length: starts.length - first }, (_, i) => first + i);
    };
    const train = group(0, cut, trainStarts);
    if (numClients !== undefined && train.length === 0)
      throw new DataError(
        `Text client ${t} (${texts[t]?.source}) has ${e.length} characters: its training part (the first 80 %) needs more than ${sequenceLength}; use fewer --clients or a longer corpus`,
      );
    trainGroups.push(train);
    testGroups.push(group(cut, e.length, testStarts));
    base += e.length;
  }
  return {
    train: new TextWindowStore(codes, Int32Array.from(trainStarts), sequenceLength),
    test: new TextWindowStore(codes, Int32Array.from(testStarts), sequenceLength),
    trainGroups,
    testGroups,
  };
}
