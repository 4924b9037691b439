/**
 * {@link partitionFigures}: a partition's clients x classes heatmap of label counts and its
 * client-size distribution.
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { CHART_CONFIG, CHART_WIDTH, type Figure } from "./figure.js";
import type { PartitionSummary } from "./partition-summary.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/**
 * The two figures of one partition.
 * @param suffix - Appended to the figure names when a report shows several partitions (`-2`).
 */
export function partitionFigures(summary: PartitionSummary, suffix = ""): Figure[] {
  const cells: { client: number; class: number; count: number }[] = [];
  summary.heatmapClients.forEach((client, i) => {
    (summary.counts[i] ?? []).forEach((count, c) => {
      cells.push({ client, class: c, count });
    });
  });
  const sampled = summary.heatmapClients.length < summary.numClients;
  const rowHeight = summary.heatmapClients.length > 50 ? 5 : 10;
  const heatmap: TopLevelSpec = {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    width: Math.min(CHART_WIDTH, Math.max(200, summary.numClasses * 28)),
    height: { step: rowHeight },
    data: { values: cells },
    mark: { type: "rect", tooltip: true },
    encoding: {
      x: { field: "class", type: "ordinal", title: "class", axis: { labelAngle: 0, grid: false } },
      y: {
        field: "client",
        type: "ordinal",
        title: sampled ? `client id (${summary.heatmapClients.length} sampled)` : "client id",
        axis: { labelOverlap: true, labelFontSize: rowHeight < 8 ? 8 : 10, grid: false },
      },
      color: {
        field: "count",
        type: "quantitative",
        title: "samples",
        // A square-root scale: label counts are skewed, and small counts must still show.
        scale: { type: "sqrt", domainMin: 0, range: ["#ffffff", "#08306b"], interpolate: "rgb" },
      },
    },
  };

  const bySize = new Map<number, number>();
  for (const size of summary.sizes) bySize.set(size, (bySize.get(size) ?? 0) + 1);
  const sizes = [...bySize]
    .sort((a, b) => a[0] - b[0])
    .map(([size, clients]) => ({ size, clients }));
  const histogram: TopLevelSpec = {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    width: CHART_WIDTH,
    height: 200,
    data: { values: sizes },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "size",
        type: "quantitative",
        bin: { maxbins: 40 },
        title: `samples per client (${summary.split})`,
      },
      y: { aggregate: "sum", field: "clients", type: "quantitative", title: "clients" },
    },
  };
  return [
    {
      name: `partition-heatmap${suffix}`,
      title: `Label counts per client: ${summary.title}`,
      caption: sampled
        ? `Samples of each class held by ${summary.heatmapClients.length} of the ${summary.numClients} clients (client ids spread evenly), in the ${summary.split} split, recomputed from the run's options.`
        : `Samples of each class held by each client in the ${summary.split} split, recomputed from the run's options.`,
      spec: heatmap,
    },
    {
      name: `client-sizes${suffix}`,
      title: `Client sizes: ${summary.title}`,
      caption: `How many of the ${summary.numClients} clients hold how many samples (${summary.split} split).`,
      spec: histogram,
    },
  ];
}
