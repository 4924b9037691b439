/**
 * {@link readRun}: reads a run directory's `config.json` and `metrics.jsonl`, the two files a
 * report is drawn from, and says which file (and line) is wrong when one is.
 * @module
 */
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { describeValue } from "../core/errors.js";
import { DataError } from "../data/errors.js";
import { type RoundRecord, roundRecordSchema } from "./round-record.js";

/** A run directory as the report sees it. */
export interface RunRecord {
  /** The run directory, absolute. */
  readonly dir: string;
  /** The directory's base name, the run's default label. */
  readonly name: string;
  /** The run's resolved options (`config.json`), as written. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The rounds, in file order (a resumed run's file holds each round once). */
  readonly rounds: readonly RoundRecord[];
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      code === "ENOENT"
        ? `${file} is missing: ${what}`
        : `${file} cannot be read (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** Reads and checks `config.json`: a JSON object. */
export function readRunConfig(dir: string): Record<string, unknown> {
  const file = join(dir, "config.json");
  const text = readText(
    file,
    "the directory is not a blazefl run directory (pass `blazefl run --out DIR`'s DIR)",
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataError(`${file} is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new DataError(`${file} must hold a JSON object of options, got ${describeValue(parsed)}`);
  return parsed as Record<string, unknown>;
}

/**
 * Parses the text of a `metrics.jsonl` file; blank lines are skipped.
 * @param file - The file's path, for error messages.
 * @throws DataError naming the file and the 1-based line of the first bad line.
 */
export function parseRoundRecords(text: string, file: string): RoundRecord[] {
  const records: RoundRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const where = `${file} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new DataError(`${where} is not valid JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
    const parsed = roundRecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.map(String).join(".") ?? "";
      let received: unknown = value;
      for (const key of issue?.path ?? [])
        received =
          typeof received === "object" && received !== null
            ? (received as Record<PropertyKey, unknown>)[key]
            : undefined;
      throw new DataError(
        path === ""
          ? `${where} must be a JSON object with a positive integer \`round\`, got ${describeValue(value)}`
          : `${where}: \`${path}\` is ${describeValue(received)}: ${issue?.message ?? "invalid"}`,
      );
    }
    records.push(parsed.data);
  }
  return records;
}

/**
 * Reads a run directory.
 * @throws DataError (exit code 2) naming `config.json` or `metrics.jsonl` (and the line) when
 *   one is missing or malformed.
 */
export function readRun(dir: string): RunRecord {
  const abs = resolve(dir);
  const config = readRunConfig(abs);
  const file = join(abs, "metrics.jsonl");
  const rounds = parseRoundRecords(
    readText(file, "the run has not written its metrics (is it a `blazefl run --out` directory?)"),
    file,
  );
  return { dir: abs, name: basename(abs), config, rounds };
}
