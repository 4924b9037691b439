/**
 * Reports of runs: a self-contained HTML page (or one SVG/PNG file per figure) with the curves,
 * timings, partition and participation of one or more run directories.
 * @module
 */
export { buildReport, type Report } from "./build-report.js";
export type { Figure } from "./figure.js";
export { LiveReport, type LiveReportOptions } from "./live-report.js";
export { partitionFigures } from "./partition-figures.js";
export {
  datasetSpecFromConfig,
  evenlySpacedClients,
  HEATMAP_MAX_CLIENTS,
  loadPartitionSummary,
  type PartitionSummary,
  summarizePartition,
} from "./partition-summary.js";
export { parseRoundRecords, type RunRecord, readRun, readRunConfig } from "./read-run.js";
export { type ReportOptions, reportOptionsSchema } from "./report-options.js";
export { type ReportPage, reportPageHtml } from "./report-page.js";
export {
  type LabelledRun,
  otherNumbers,
  roundFigures,
  splitRoundSeconds,
  wallClockSeconds,
} from "./round-figures.js";
export { type ClientAccuracySpread, type RoundRecord, roundRecordSchema } from "./round-record.js";
export { differingOptions, runLabels } from "./run-labels.js";
export { runSummaries, runSummaryTableHtml } from "./run-summary-table.js";
export {
  FIGURE_FORMATS,
  type FigureFormat,
  figurePng,
  figureSvg,
  writeFigureFiles,
} from "./write-figure-files.js";
export { type WrittenReport, writePartitionReport, writeReport } from "./write-report.js";
