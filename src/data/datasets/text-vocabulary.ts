/**
 * The character vocabulary of the `text` dataset: LEAF Shakespeare's 80 characters, so that a
 * model trained here has the class layout of the LEAF benchmark's.
 *
 * @module
 */

/**
 * The vocabulary, in index order: newline, space, `!"&'(),-.`, the digits, `:;>?`, `A`-`Z`,
 * `[]`, `a`-`z` and `}` (LEAF's `ALL_LETTERS`). Character `TEXT_VOCABULARY[i]` has index `i`.
 */
export const TEXT_VOCABULARY =
  "\n !\"&'(),-.0123456789:;>?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]abcdefghijklmnopqrstuvwxyz}";

/** The number of characters (and classes) of the `text` dataset: 80. */
export const TEXT_VOCABULARY_SIZE = TEXT_VOCABULARY.length;

/** The index every character outside the vocabulary maps to: the space's. */
export const TEXT_UNKNOWN_INDEX = TEXT_VOCABULARY.indexOf(" ");

const INDEX = new Map<string, number>([...TEXT_VOCABULARY].map((c, i) => [c, i]));

/**
 * Encodes `text` as vocabulary indices, one byte per character (UTF-16 code point by code
 * point). `\r\n` and lone `\r` become `\n`; any other character outside the vocabulary (tabs,
 * accents, other brackets) becomes a space.
 */
export function encodeText(text: string): Uint8Array {
  const normalised = text.replace(/\r\n?/g, "\n");
  const chars = [...normalised];
  const out = new Uint8Array(chars.length);
  for (const [i, c] of chars.entries()) out[i] = INDEX.get(c) ?? TEXT_UNKNOWN_INDEX;
  return out;
}

/** The characters of some vocabulary indices (the inverse of {@link encodeText} on the vocabulary). */
export function decodeText(codes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < codes.length; i++) s += TEXT_VOCABULARY[codes[i] as number] ?? "?";
  return s;
}
