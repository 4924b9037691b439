/**
 * {@link writeReport}: the HTML report of run directories, written atomically so a browser that
 * reloads it while a run rewrites it never reads half a file.
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { writeFileAtomic } from "../kit/checkpoint.js";
import { buildReport } from "./build-report.js";
import { compileFigure } from "./compile-figure.js";
import { partitionFigures } from "./partition-figures.js";
import type { PartitionSummary } from "./partition-summary.js";
import type { ReportOptions } from "./report-options.js";
import { type ReportPage, reportPageHtml } from "./report-page.js";
import { runSummaryTableHtml } from "./run-summary-table.js";

/** What {@link writeReport} and `writeFigureFiles` wrote. */
export interface WrittenReport {
  /** The files written, absolute (one HTML file, or one file per figure). */
  readonly files: readonly string[];
  /** Their total size in bytes. */
  readonly bytes: number;
  /** The figures' names, in page order. */
  readonly figures: readonly string[];
  /** What the report could not show, and why. */
  readonly notes: readonly string[];
}

/**
 * Writes one self-contained HTML file (the Vega runtime, styles, data inline; nothing fetched)
 * with every figure and the summary table of `runDirs`. Cheap enough to call after every round
 * of a run: the partition is recomputed once per process and the rest is the metrics' size.
 * @param runDirs - Run directories (`blazefl run --out`); several are overlaid, labelled by the
 *   options in which their `config.json` differ.
 * @param outFile - The HTML file; its directory is created.
 * @throws DataError naming the file (and line) for a missing or malformed `config.json` or
 *   `metrics.jsonl` (exit code 2); OptionsError for bad options.
 */
export async function writeReport(
  runDirs: readonly string[],
  outFile: string,
  options: ReportOptions = {},
): Promise<WrittenReport> {
  const report = await buildReport(runDirs, options);
  const html = reportPageHtml({
    title: report.title,
    subtitle:
      report.runs.length === 1
        ? `Run ${report.runs[0]?.run.dir}`
        : `${report.runs.length} runs: ${report.runs.map((r) => r.run.name).join(", ")}`,
    figures: report.figures.map((figure) => ({ figure, vega: compileFigure(figure) })),
    tableHtml: runSummaryTableHtml(report.runs),
    notes: report.notes,
    ...(options.refreshSeconds !== undefined ? { refreshSeconds: options.refreshSeconds } : {}),
  });
  return {
    ...writePage(outFile, html),
    figures: report.figures.map((f) => f.name),
    notes: report.notes,
  };
}

function writePage(outFile: string, html: string): { files: string[]; bytes: number } {
  const file = resolve(outFile);
  mkdirSync(dirname(file), { recursive: true });
  const bytes = Buffer.from(html, "utf8");
  writeFileAtomic(file, [bytes]);
  return { files: [file], bytes: bytes.length };
}

/**
 * Writes an HTML page with a partition's figures alone (`blazefl data stats --out`).
 * @param summary - See `summarizePartition`.
 */
export function writePartitionReport(
  summary: PartitionSummary,
  outFile: string,
  title = "BlazeFL partition",
): WrittenReport {
  const figures = partitionFigures(summary);
  const page: ReportPage = {
    title,
    subtitle: summary.title,
    figures: figures.map((figure) => ({ figure, vega: compileFigure(figure) })),
  };
  return {
    ...writePage(outFile, reportPageHtml(page)),
    figures: figures.map((f) => f.name),
    notes: [],
  };
}
