/**
 * {@link CorruptFileError}: a run's own file (`metrics.jsonl`, the checkpoint) cannot be read back
 * as what it should be. It names the file, the line when there is one, and how to recover,
 * instead of a raw `SyntaxError` stack.
 * @module
 */
import { DataError } from "../data/errors.js";

/** A run's file is corrupt; exit code 2 (a `DataError`: the input, not the program, is wrong). */
export class CorruptFileError extends DataError {
  /** The corrupt file. */
  readonly path: string;
  /** The 1-based line, for line-oriented files. */
  readonly line: number | undefined;

  /**
   * @param path - The file.
   * @param line - The 1-based line, or undefined.
   * @param problem - What is wrong, e.g. "is not JSON".
   * @param recovery - How to recover, one sentence.
   * @param options - `cause`, kept on the error.
   */
  constructor(
    path: string,
    line: number | undefined,
    problem: string,
    recovery: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(`${path}${line !== undefined ? `, line ${line}` : ""}: ${problem}. ${recovery}`, options);
    this.path = path;
    this.line = line;
  }
}
