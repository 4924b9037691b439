/**
 * {@link buildReport}: reads run directories and makes every figure and the summary table of
 * their report, the part shared by the HTML page and the SVG/PNG files.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { Figure } from "./figure.js";
import { partitionFigures } from "./partition-figures.js";
import {
  datasetSpecFromConfig,
  loadPartitionSummary,
  partitionTitle,
} from "./partition-summary.js";
import { readRun } from "./read-run.js";
import { type ReportOptions, resolveReportOptions } from "./report-options.js";
import { type LabelledRun, roundFigures } from "./round-figures.js";
import { runLabels } from "./run-labels.js";

/** A report's content, before it is written as a page or as files. */
export interface Report {
  /** The heading. */
  readonly title: string;
  /** The runs with their legend labels, in the order given. */
  readonly runs: readonly LabelledRun[];
  /** The figures, in page order. */
  readonly figures: readonly Figure[];
  /** Things the report could not show, and why (e.g. a dataset whose files are missing). */
  readonly notes: readonly string[];
}

/**
 * Reads the runs and makes the report's figures. Runs that trained on the same partition share
 * its figures; a partition that cannot be recomputed (its files are not on this machine) is
 * left out with a note rather than failing the report.
 * @param runDirs - Run directories (`blazefl run --out`), at least one.
 * @throws DataError naming the file (and line) when a `config.json` or `metrics.jsonl` is
 *   missing or malformed; OptionsError for bad options or no run directory.
 */
export async function buildReport(
  runDirs: readonly string[],
  options: ReportOptions = {},
): Promise<Report> {
  const o = resolveReportOptions(options);
  if (runDirs.length === 0)
    throw new OptionsError("RUN_DIR", runDirs, "at least one run directory");
  const records = runDirs.map((dir) => readRun(dir));
  const labels = runLabels(records);
  const runs = records.map((run, i) => ({ label: labels[i] as string, run }));
  const figures = roundFigures(runs);
  const notes: string[] = [];
  if (o.partition !== false) {
    const specs = new Map<
      string,
      { spec: NonNullable<ReturnType<typeof datasetSpecFromConfig>>; runs: string[] }
    >();
    for (const { label, run } of runs) {
      const spec = datasetSpecFromConfig(run.config);
      if (spec === undefined) {
        notes.push(
          `${run.dir}/config.json names no dataset and clients: its partition is not drawn.`,
        );
        continue;
      }
      const key = JSON.stringify(spec);
      const entry = specs.get(key) ?? { spec, runs: [] };
      entry.runs.push(label);
      specs.set(key, entry);
    }
    let index = 0;
    for (const { spec, runs: users } of specs.values()) {
      try {
        const summary = await loadPartitionSummary(spec);
        figures.push(...partitionFigures(summary, index === 0 ? "" : `-${index + 1}`));
        index++;
      } catch (error) {
        notes.push(
          `The partition ${partitionTitle(spec)} (${users.join("; ")}) could not be recomputed, so it is not drawn: ${(error as Error).message}`,
        );
      }
    }
  }
  return { title: o.title ?? "BlazeFL report", runs, figures, notes };
}
