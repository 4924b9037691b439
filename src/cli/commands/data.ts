/**
 * `blazefl data`: download datasets (`fetch`) and inspect partitions (`stats`).
 * @module
 */
import type { Writable } from "node:stream";
import { Command } from "commander";
import { OptionsError } from "../../core/errors.js";
import { assertImageDatasetName, IMAGE_DATASET_NAMES } from "../../data/datasets/catalog.js";
import type { FederatedDatasetSpec } from "../../data/federated/federated-dataset-spec.js";
import { loadFederatedDataset } from "../../data/federated/load-federated-dataset.js";
import { fetchDataset } from "../../data/fetch/fetch-dataset.js";
import { meanLabelEntropy } from "../../data/partition/label-statistics.js";

/** Streams and test hooks of {@link dataCommand}. */
export interface DataCommandOptions {
  /** Where results (one JSON object per command) go. @default process.stdout */
  readonly stdout?: Writable;
  /** Where progress and notes go. @default process.stderr */
  readonly stderr?: Writable & { isTTY?: boolean };
  /** Replaces known MD5 digests by file name (`null` skips one); for mirrors and tests. */
  readonly checksums?: Readonly<Record<string, string | null>>;
}

function parseNumber(
  option: string,
  value: string | undefined,
  expected: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new OptionsError(option, value, expected);
  return n;
}

/**
 * The `data` command:
 * - `blazefl data fetch fashion-mnist|mnist|cifar10 [--dir DIR] [--base-url URL] [--timeout MS]
 *   [--no-progress]` downloads and verifies the official files (see `fetchDataset`) and prints
 *   `{"dataset", "dir", "files"}` as one JSON line;
 * - `blazefl data stats [--dataset D] [--data-dir DIR] [--clients N] [--partition P] [--seed S]
 *   [--split train|test] [--out FILE.html]` prints the per-client label counts of a partition as
 *   one JSON line, and with `--out` also writes its figures (label heatmap, client sizes) as HTML.
 * Errors are `BlazeFLError`s (bad options: `OptionsError`; network and files: `DataError`),
 * left to the caller to print and map to exit codes.
 */
export function dataCommand(options: DataCommandOptions = {}): Command {
  const stdout = () => options.stdout ?? process.stdout;
  const stderr = () => options.stderr ?? process.stderr;
  const data = new Command("data").description("Download datasets and inspect partitions");

  data
    .command("fetch")
    .description("Download a dataset's official files, verify their checksums and unpack them")
    .argument("<dataset>", IMAGE_DATASET_NAMES.join(" | "))
    .option("--dir <dir>", "directory to write into (default: the dataset's cache directory)")
    .option("--base-url <url>", "download from this base URL instead of the official mirrors")
    .option("--timeout <ms>", "give up after this long without a connection or data", "15000")
    .option("--no-progress", "never draw progress bars (they are drawn only on a TTY)")
    .action(
      async (
        dataset: string,
        opts: { dir?: string; baseUrl?: string; timeout: string; progress: boolean },
      ) => {
        assertImageDatasetName(dataset, "dataset");
        const timeoutMs = parseNumber("--timeout", opts.timeout, "a number of milliseconds > 0");
        const err = stderr();
        const result = await fetchDataset(dataset, {
          dir: opts.dir,
          baseUrl: opts.baseUrl,
          timeoutMs,
          progress: opts.progress ? undefined : false,
          stderr: err,
          checksums: options.checksums,
        });
        err.write(
          `${dataset}: ${result.files.length} files ready in ${result.dir} (pass --data-dir ${result.dir})\n`,
        );
        stdout().write(
          `${JSON.stringify({
            dataset: result.dataset,
            dir: result.dir,
            files: result.files.map((f) => ({ name: f.name, bytes: f.bytes, status: f.status })),
          })}\n`,
        );
      },
    );

  data
    .command("stats")
    .description("Print the per-client label counts of a federated dataset as JSON")
    .option("--dataset <name>", "synthetic | fashion-mnist | mnist | cifar10", "synthetic")
    .option("--data-dir <dir>", "directory of the dataset's files")
    .option("--clients <n>", "number of clients", "100")
    .option(
      "--partition <scheme>",
      "iid | natural | dirichlet:ALPHA | shards:K | pathological:K | quantity:ALPHA | powerlaw:EXPONENT",
    )
    .option("--seed <s>", "seed", "42")
    .option("--split <split>", "train | test", "train")
    .option("--out <file>", "also write the partition's figures as a self-contained HTML file")
    .action(
      async (opts: {
        dataset: string;
        dataDir?: string;
        clients: string;
        partition?: string;
        seed: string;
        split: string;
        out?: string;
      }) => {
        if (opts.split !== "train" && opts.split !== "test")
          throw new OptionsError("--split", opts.split, '"train" or "test"');
        const spec = {
          dataset: opts.dataset,
          dataDir: opts.dataDir,
          numClients: parseNumber("--clients", opts.clients, "a positive integer"),
          partition: opts.partition ?? (opts.dataset === "synthetic" ? "natural" : "iid"),
          seed: parseNumber("--seed", opts.seed, "an integer seed"),
        };
        // loadFederatedDataset validates every field and names the flag in its errors.
        const ds = await loadFederatedDataset(spec as unknown as FederatedDatasetSpec);
        const stats = ds.labelStatistics(opts.split);
        const sorted = [...stats.sizes].sort((a, b) => a - b);
        const title = `${ds.name}, ${spec.partition}, ${ds.numClients} clients, seed ${spec.seed}`;
        let report: string | undefined;
        if (opts.out !== undefined) {
          // Loaded on demand: the charting libraries are only needed for the figures.
          const { summarizePartition, writePartitionReport } = await import(
            "../../report/index.js"
          );
          report = writePartitionReport(summarizePartition(ds, title, opts.split), opts.out)
            .files[0];
        }
        stdout().write(
          `${JSON.stringify({
            dataset: ds.name,
            partition: spec.partition,
            split: opts.split,
            numClients: ds.numClients,
            sampleShape: ds.sampleShape,
            numClasses: ds.numClasses,
            sizes: {
              total: sorted.reduce((a, b) => a + b, 0),
              min: sorted[0],
              median: sorted[Math.floor(sorted.length / 2)],
              max: sorted[sorted.length - 1],
            },
            meanLabelEntropy: meanLabelEntropy(stats),
            clients: stats.counts.map((counts, cid) => ({ cid, size: stats.sizes[cid], counts })),
            ...(report !== undefined ? { report } : {}),
          })}\n`,
        );
      },
    );
  return data;
}
