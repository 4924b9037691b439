/**
 * {@link LiveReport}: the report of a run that is still going, rewritten as rounds finish, so
 * it can be left open in a browser (the page reloads itself) without slowing the run down.
 * @module
 */
import type { ReportOptions } from "./report-options.js";
import { type WrittenReport, writeReport } from "./write-report.js";

/** How a {@link LiveReport} is written. */
export interface LiveReportOptions extends ReportOptions {
  /** The fewest seconds between two writes by {@link LiveReport.update}. @default 2 */
  readonly minIntervalSeconds?: number;
}

/**
 * Rewrites one run's report as it runs. `update()` after every round writes the report unless
 * the last write was recent: at least `minIntervalSeconds` ago and at least 10 times as long ago
 * as that write took, so the report never costs the run more than about a tenth of its time.
 * `finish()` after the last round always writes, without the self-reload of the live page.
 * @example
 * const report = new LiveReport(outDir, join(outDir, "report.html"));
 * // after each round's metrics.jsonl line is written:
 * await report.update();
 * // after the last round:
 * await report.finish();
 */
export class LiveReport {
  readonly #runDir: string;
  readonly #outFile: string;
  readonly #options: ReportOptions;
  readonly #minIntervalMs: number;
  #lastWriteEnd = Number.NEGATIVE_INFINITY;
  #lastWriteMs = 0;

  /**
   * @param runDir - The run directory (`config.json` and `metrics.jsonl` are read from it).
   * @param outFile - The HTML file to (re)write.
   * @param options - Report options; `refreshSeconds` defaults to 5 while the run goes on.
   */
  constructor(runDir: string, outFile: string, options: LiveReportOptions = {}) {
    const { minIntervalSeconds, ...report } = options;
    this.#runDir = runDir;
    this.#outFile = outFile;
    this.#options = report;
    this.#minIntervalMs = 1000 * (minIntervalSeconds ?? 2);
  }

  /** The HTML file this report writes. */
  get file(): string {
    return this.#outFile;
  }

  async #write(live: boolean): Promise<WrittenReport> {
    const start = performance.now();
    const { refreshSeconds, ...rest } = this.#options;
    const written = await writeReport([this.#runDir], this.#outFile, {
      ...rest,
      ...(live ? { refreshSeconds: refreshSeconds ?? 5 } : {}),
    });
    this.#lastWriteEnd = performance.now();
    this.#lastWriteMs = this.#lastWriteEnd - start;
    return written;
  }

  /**
   * Writes the report if enough time has passed since the last write (see the class).
   * @returns What was written, or undefined when this call skipped the write.
   * @throws as `writeReport` does.
   */
  async update(): Promise<WrittenReport | undefined> {
    const since = performance.now() - this.#lastWriteEnd;
    if (since < Math.max(this.#minIntervalMs, 10 * this.#lastWriteMs)) return undefined;
    return this.#write(true);
  }

  /**
   * Writes the final report (always; the page no longer reloads itself).
   * @throws as `writeReport` does.
   */
  finish(): Promise<WrittenReport> {
    return this.#write(false);
  }
}
