/**
 * `blazefl report`: the report of one or more run directories, as one self-contained HTML file
 * or as one SVG/PNG file per figure.
 * @module
 */
import { join } from "node:path";
import type { Writable } from "node:stream";
import { Command } from "commander";
import { OptionsError } from "../../core/errors.js";
import type { FigureFormat } from "../../report/write-figure-files.js";

/** Streams of {@link reportCommand}. */
export interface ReportCommandOptions {
  /** Where the result (one JSON object) goes. @default process.stdout */
  readonly stdout?: Writable;
  /** Where notes go. @default process.stderr */
  readonly stderr?: Writable;
}

/** Where a report goes when `--out` is not given: beside a single run, else here. */
function defaultOut(runDirs: readonly string[], format: string): string {
  const name = format === "html" ? "report.html" : "figures";
  return runDirs.length === 1 ? join(runDirs[0] as string, name) : name;
}

/**
 * The `report` command: `blazefl report RUN_DIR... [--out FILE.html | DIR] [--format
 * html|svg|png] [--title TEXT] [--no-partition]` writes the report and prints
 * `{"format", "files", "bytes", "figures", "notes"}` as one JSON line. Errors are
 * `BlazeFLError`s (a missing or malformed `config.json`/`metrics.jsonl`: `DataError`, exit 2).
 */
export function reportCommand(options: ReportCommandOptions = {}): Command {
  return new Command("report")
    .description(
      "Write an offline HTML report (or SVG/PNG figures) of run directories; several runs are overlaid",
    )
    .argument("<runDirs...>", "run directories (blazefl run --out DIR)")
    .option(
      "--out <path>",
      "the HTML file, or the directory of the figure files (default: beside a single run, else ./report.html or ./figures)",
    )
    .option("--format <format>", "html | svg | png", "html")
    .option("--title <text>", "the report's heading", "BlazeFL report")
    .option("--no-partition", "do not recompute and draw the runs' partitions (no dataset load)")
    .action(
      async (
        runDirs: string[],
        opts: { out?: string; format: string; title: string; partition: boolean },
      ) => {
        if (!["html", "svg", "png"].includes(opts.format))
          throw new OptionsError("--format", opts.format, "html, svg or png");
        // Loaded on demand: the charting libraries are needed by this command only.
        const { writeFigureFiles, writeReport } = await import("../../report/index.js");
        const out = opts.out ?? defaultOut(runDirs, opts.format);
        const reportOptions = { title: opts.title, partition: opts.partition };
        const written =
          opts.format === "html"
            ? await writeReport(runDirs, out, reportOptions)
            : await writeFigureFiles(runDirs, out, opts.format as FigureFormat, reportOptions);
        const stderr = options.stderr ?? process.stderr;
        for (const note of written.notes) stderr.write(`blazefl: note: ${note}\n`);
        (options.stdout ?? process.stdout).write(
          `${JSON.stringify({ format: opts.format, ...written })}\n`,
        );
      },
    );
}
