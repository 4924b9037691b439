/**
 * {@link writeFigureFiles}: each figure of a report as its own SVG or PNG file, for papers. Vega
 * renders SVG in Node without a browser; resvg turns the SVG into a PNG.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, View } from "vega";
import { OptionsError } from "../core/errors.js";
import { buildReport } from "./build-report.js";
import { compileFigure } from "./compile-figure.js";
import type { Figure } from "./figure.js";
import type { ReportOptions } from "./report-options.js";
import type { WrittenReport } from "./write-report.js";

/** The file formats of {@link writeFigureFiles}. */
export const FIGURE_FORMATS = ["svg", "png"] as const;

/** A figure file format. */
export type FigureFormat = (typeof FIGURE_FORMATS)[number];

/** A figure as an SVG document, rendered by Vega in Node. */
export async function figureSvg(figure: Figure): Promise<string> {
  const view = new View(parse(compileFigure(figure)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A figure as a PNG at twice its size in pixels (sharp in print at the figure's width). */
export async function figurePng(figure: Figure): Promise<Buffer> {
  // Loaded on demand: only PNG export needs the native renderer.
  const { Resvg } = await import("@resvg/resvg-js");
  const svg = await figureSvg(figure);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return resvg.render().asPng();
}

/**
 * Writes every figure of `runDirs`' report as `<figure name>.svg` or `.png` into `outDir`
 * (created), e.g. `test-accuracy-by-round.svg`.
 * @throws as `writeReport` does; OptionsError for an unknown format.
 */
export async function writeFigureFiles(
  runDirs: readonly string[],
  outDir: string,
  format: FigureFormat,
  options: ReportOptions = {},
): Promise<WrittenReport> {
  if (!FIGURE_FORMATS.includes(format))
    throw new OptionsError("--format", format, "html, svg or png");
  const report = await buildReport(runDirs, options);
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let bytes = 0;
  for (const figure of report.figures) {
    const file = join(dir, `${figure.name}.${format}`);
    const content =
      format === "svg" ? Buffer.from(await figureSvg(figure)) : await figurePng(figure);
    writeFileSync(file, content);
    files.push(file);
    bytes += content.length;
  }
  return { files, bytes, figures: report.figures.map((f) => f.name), notes: report.notes };
}
