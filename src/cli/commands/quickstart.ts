/**
 * `blazefl quickstart`: a short FedAvg run on LEAF Synthetic, which needs no download.
 * @module
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { FASHION_MNIST_SYSTEM_DIR } from "../../data/datasets/catalog.js";
import { runAndPrint } from "./run.js";

/** The `quickstart` subcommand. */
export function quickstartCommand(): Command {
  return new Command("quickstart")
    .description("A short FedAvg run on LEAF Synthetic(1, 1): no download needed")
    .addOption(new Option("--rounds <n>", "rounds").default("15"))
    .addOption(new Option("--trainer <kind>", "serial | thread | process").default("process"))
    .addOption(new Option("--parallels <n>", "workers (default: CPU count)"))
    .addOption(
      new Option(
        "--out <dir>",
        "write the run's files and report.html here (default: a new temporary directory)",
      ),
    )
    .addOption(new Option("--seed <n>", "seed").default("42"))
    .action(async (flags: Record<string, unknown>) => {
      const options = {
        dataset: "synthetic",
        partition: "natural",
        model: "logreg",
        clients: 100,
        sampleRatio: 0.1,
        epochs: 1,
        batchSize: 10,
        lr: 0.05,
        report: true,
        ...flags,
        // A fresh directory per quickstart unless --out names one, so it never collides with an earlier run.
        out:
          typeof flags.out === "string"
            ? flags.out
            : mkdtempSync(join(tmpdir(), "blazefl-quickstart-")),
      };
      process.stderr.write(
        "blazefl quickstart: FedAvg, logistic regression on LEAF Synthetic(1, 1), 100 clients, 10 per round\n",
      );
      const summary = await runAndPrint(options);
      if (summary.report !== undefined)
        process.stderr.write(`\nThe report (plots of the run): ${summary.report}\n`);
      const fmnist = join(FASHION_MNIST_SYSTEM_DIR, "train-images-idx3-ubyte.gz");
      if (existsSync(fmnist))
        process.stderr.write(
          "\nFashion-MNIST is installed. Try:\n  npx blazefl run --dataset fashion-mnist --model mlp --rounds 30 --lr 0.05 --out runs/fmnist-mlp\n",
        );
    });
}
