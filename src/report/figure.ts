/**
 * {@link Figure}: one chart of a report, as a Vega-Lite spec with its data inline, so the same
 * object is drawn in the browser and exported to SVG or PNG in Node.
 * @module
 */
import type { TopLevelSpec } from "vega-lite";

/** One chart of a report. */
export interface Figure {
  /** A file-name-safe name (`test-accuracy-by-round`): its id in the page and its file name. */
  readonly name: string;
  /** The heading above the chart. */
  readonly title: string;
  /** What the chart shows and how it was computed, under the chart. */
  readonly caption: string;
  /** The chart, data inline. */
  readonly spec: TopLevelSpec;
}

/** The width of a chart's plot area, pixels. */
export const CHART_WIDTH = 560;
/** The height of a chart's plot area, pixels. */
export const CHART_HEIGHT = 260;

/** The look every figure shares (white background: figures are also written as PNG for papers). */
export const CHART_CONFIG = {
  background: "white",
  font: "DejaVu Sans, Helvetica, Arial, sans-serif",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360, orient: "bottom" },
  title: { fontSize: 13 },
} as const;

/**
 * The run color encoding every figure shares, so one run has one color across the report.
 * @param labels - The runs' legend labels, in report order.
 */
export function runColor(labels: readonly string[]) {
  return {
    field: "run",
    type: "nominal",
    title: "run",
    scale: { domain: [...labels], scheme: "tableau10" },
    legend: labels.length > 1 ? { columns: 1 } : null,
  } as const;
}
