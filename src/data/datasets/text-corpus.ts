/**
 * {@link readTextCorpus}: a plain-text corpus read as units, the natural clients of the `text`
 * dataset (no Shakespeare corpus installs here, so any text will do).
 *
 * @module
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { DataError } from "../errors.js";
import { describeFsError, readMaybeGzip } from "./read-file.js";

/** One unit of a corpus: a file, or a paragraph of a single file. */
export interface TextUnit {
  /** Where it came from: the file name, or `file#paragraph` (1-based). */
  readonly source: string;
  /** Its text. */
  readonly text: string;
}

/** How a corpus was split into units. */
export type TextUnitKind = "file" | "paragraph";

/** A corpus read by {@link readTextCorpus}. */
export interface TextCorpus {
  /** Whether the units are files or paragraphs. */
  readonly kind: TextUnitKind;
  /** The units, in order: files sorted by name, paragraphs in file order. */
  readonly units: readonly TextUnit[];
}

/** Splits text into paragraphs: runs of lines separated by one or more blank lines. */
export function splitParagraphs(text: string): string[] {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n(?:[ \t]*\n)+/)
    .map((p) => p.replace(/^\n+|\n+$/g, ""))
    .filter((p) => p.trim() !== "");
}

const TEXT_FILE = /\.txt(?:\.gz)?$/;

/**
 * Reads the corpus at `path`: a directory's `*.txt` (or `*.txt.gz`) files, one unit per file,
 * sorted by name; a directory with a single such file, or `path` naming one file, gives one
 * unit per paragraph of that file. Files are UTF-8.
 * @throws DataError when `path` is missing, holds no text file, or a unit is empty.
 */
export async function readTextCorpus(path: string): Promise<TextCorpus> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new DataError(`Cannot read the text corpus ${path}: ${describeFsError(error)}`, {
      cause: error,
    });
  }
  const files = isDirectory
    ? (await readdir(path))
        .filter((name) => TEXT_FILE.test(name))
        .sort()
        .map((name) => join(path, name))
    : [path];
  if (files.length === 0)
    throw new DataError(
      `The text corpus ${path} holds no .txt file (one file per client, or one file split by paragraph)`,
    );
  const decoder = new TextDecoder("utf-8");
  const texts = await Promise.all(files.map(async (f) => decoder.decode(await readMaybeGzip(f))));
  if (files.length === 1) {
    const name = basename(files[0] as string);
    const units = splitParagraphs(texts[0] as string).map((text, i) => ({
      source: `${name}#${i + 1}`,
      text,
    }));
    if (units.length === 0) throw new DataError(`The text corpus ${files[0]} is empty`);
    return { kind: "paragraph", units };
  }
  const units = files.map((f, i) => ({ source: basename(f), text: texts[i] as string }));
  for (const u of units)
    if (u.text.trim() === "") throw new DataError(`The text corpus file ${u.source} is empty`);
  return { kind: "file", units };
}
