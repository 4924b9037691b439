/**
 * {@link MetricsLog}: a run's `metrics.jsonl`, one JSON object per round, appended and fsynced
 * per round (O(1) I/O a round, where rewriting the whole file was O(rounds)). A crash can only
 * leave a torn last line (an append cut short), so opening the log for a resumed run drops it,
 * together with the lines of rounds after the checkpoint, which the resumed run computes again.
 * Any other damage is a {@link CorruptFileError} naming the file and the line.
 * @module
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { CorruptFileError } from "./corrupt-file-error.js";
import { appendDurably, fsyncDirectory, OutputFileError } from "./durable-file.js";

/** One line of the log, a JSON object with a positive integer `round`. */
export interface MetricsRecord {
  /** The 1-based round the line describes; strictly increasing through the file. */
  readonly round: number;
  readonly [field: string]: unknown;
}

/** Options of {@link MetricsLog.open}. */
export interface MetricsLogOpenOptions {
  /**
   * Keep the lines of rounds up to this one (the checkpoint's round when resuming, 0 for a new
   * run) and remove the rest.
   */
  readonly keepThroughRound: number;
  /** Told when the file had to be repaired (a torn last line, or rounds after the checkpoint). */
  readonly onRepair?: (message: string) => void;
}

const RECOVER =
  "Fix or delete that line and the ones after it (the checkpoint holds the model; only these metrics are lost), or start again in a new --out";

function isRecord(value: unknown): value is MetricsRecord {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Number.isSafeInteger((value as { round?: unknown }).round) &&
    ((value as { round: number }).round as number) >= 1
  );
}

/** An append-only, fsynced `metrics.jsonl`. */
export class MetricsLog {
  /** The file. */
  readonly path: string;
  /** The records kept when the log was opened (a resumed run's earlier rounds), in order. */
  readonly records: readonly MetricsRecord[];
  #fd: number | undefined;
  #length: number;
  #lastRound: number;

  private constructor(path: string, fd: number, length: number, records: MetricsRecord[]) {
    this.path = path;
    this.#fd = fd;
    this.#length = length;
    this.records = records;
    this.#lastRound = records.at(-1)?.round ?? 0;
  }

  /**
   * Opens (creating it if needed) the log at `path` for appending, after checking every line:
   * a torn or unparsable last line and lines of rounds after `keepThroughRound` are cut off
   * (durably), and `onRepair` is told.
   * @throws CorruptFileError (exit 2) naming the line that is not a metrics record, or whose
   *   round does not increase; OutputFileError when the file cannot be opened or repaired.
   */
  static open(path: string, options: MetricsLogOpenOptions): MetricsLog {
    const keep = options.keepThroughRound;
    let bytes: Buffer = Buffer.alloc(0);
    const existed = existsSync(path);
    if (existed) {
      try {
        bytes = readFileSync(path);
      } catch (error) {
        throw new OutputFileError(path, "read", error, "nothing was changed");
      }
    }
    const records: MetricsRecord[] = [];
    let cut = bytes.length;
    let repair: string | undefined;
    let start = 0;
    let line = 0;
    while (start < bytes.length) {
      line++;
      const end = bytes.indexOf(0x0a, start);
      const last = end < 0 || end === bytes.length - 1;
      const text = bytes.subarray(start, end < 0 ? bytes.length : end).toString("utf8");
      let value: unknown;
      let parsed = end >= 0;
      if (parsed) {
        try {
          value = JSON.parse(text);
        } catch {
          parsed = false;
        }
      }
      if (!parsed || !isRecord(value)) {
        if (last) {
          cut = start;
          repair = `${path}: line ${line} is torn (an append was cut short by a crash or a full disk); removed it`;
          break;
        }
        throw new CorruptFileError(
          path,
          line,
          parsed
            ? "is not a metrics record (a JSON object with a positive integer round)"
            : "is not JSON",
          RECOVER,
        );
      }
      const previous = records.at(-1)?.round ?? 0;
      if (value.round <= previous)
        throw new CorruptFileError(
          path,
          line,
          `has round ${value.round} after round ${previous} (rounds must increase)`,
          RECOVER,
        );
      if (value.round > keep) {
        cut = start;
        repair = `${path}: removed the metrics of rounds after ${keep} (from line ${line}), which this run computes again`;
        break;
      }
      records.push(value);
      start = (end as number) + 1;
    }
    let fd: number;
    try {
      fd = openSync(path, "a", 0o644);
    } catch (error) {
      throw new OutputFileError(path, "open", error, "nothing was changed");
    }
    try {
      if (cut < bytes.length) {
        ftruncateSync(fd, cut);
        fsyncSync(fd);
      }
      if (!existed) fsyncDirectory(dirname(path));
    } catch (error) {
      closeSync(fd);
      throw new OutputFileError(path, "repair", error, "nothing was removed from it");
    }
    if (repair !== undefined) options.onRepair?.(repair);
    return new MetricsLog(path, fd, cut, records);
  }

  /**
   * Appends one record as a line and fsyncs it; on failure the file is cut back to its last
   * complete line.
   * @throws OutputFileError naming the file (e.g. ENOSPC); RangeError when `record.round` does
   *   not follow the last one (a bug of the caller).
   */
  append<R extends { readonly round: number }>(record: R): void {
    if (this.#fd === undefined) throw new RangeError(`${this.path} was closed`);
    if (!Number.isSafeInteger(record.round) || record.round <= this.#lastRound)
      throw new RangeError(`round ${record.round} does not follow round ${this.#lastRound}`);
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
    this.#length = appendDurably(this.#fd, this.path, this.#length, bytes);
    this.#lastRound = record.round;
  }

  /** Closes the file; idempotent. */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
