/**
 * `blazefl run`: any registered algorithm (or a user's module) with every option of the
 * command-line contract; an algorithm's own options are flags too (`--mu 1`), checked by its
 * schema.
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { OptionsError } from "../../core/errors.js";
import { runExperiment } from "../../kit/run-experiment.js";
import { withInterrupts } from "../interrupts.js";

/** Reads a `--config` JSON file (keys as the long options, in kebab-case or camelCase). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new OptionsError("--config", file, `a readable JSON file (${(error as Error).message})`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OptionsError("--config", file, `a JSON file (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new OptionsError("--config", file, "a JSON object of run options");
  return parsed as Record<string, unknown>;
}

/** Adds the run options of the contract to `command` (no defaults here: zod fills them). */
export function addRunOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--algorithm <name>",
        "fedavg | fedprox | scaffold | … (see `blazefl algorithms`), or a module ./my-algorithm.js (default fedavg)",
      ),
    )
    .addOption(
      new Option(
        "--dataset <name>",
        "synthetic | fashion-mnist | mnist | cifar10 (default synthetic)",
      ),
    )
    .addOption(
      new Option(
        "--data-dir <dir>",
        "the dataset's files (Fashion-MNIST: /usr/share/datasets/fashion-mnist)",
      ),
    )
    .addOption(
      new Option(
        "--partition <spec>",
        "iid | dirichlet:ALPHA | shards:K | pathological:K | quantity:ALPHA | powerlaw:E; synthetic also natural (default: natural on synthetic, else iid)",
      ),
    )
    .addOption(
      new Option(
        "--model <name>",
        "mlp | cnn | logreg (default: logreg on synthetic, cnn on cifar10, else mlp)",
      ),
    )
    .addOption(new Option("--clients <n>", "number of clients (default 100)"))
    .addOption(new Option("--sample-ratio <r>", "fraction of clients per round (default 0.1)"))
    .addOption(new Option("--rounds <n>", "rounds (default 10)"))
    .addOption(new Option("--epochs <n>", "local epochs (default 1)"))
    .addOption(new Option("--batch-size <n>", "local batch size (default 32)"))
    .addOption(new Option("--lr <lr>", "local SGD learning rate (default 0.01)"))
    .addOption(new Option("--momentum <m>", "local SGD momentum (default 0)"))
    .addOption(new Option("--weight-decay <wd>", "local SGD weight decay (default 0)"))
    .addOption(
      new Option("--trainer <kind>", "serial | thread | process | redis (default process)"),
    )
    .addOption(new Option("--parallels <n>", "workers (default: CPU count)"))
    .addOption(new Option("--seed <n>", "seed, an integer in [0, 2^32 - 1] (default 42)"))
    .addOption(new Option("--device <device>", "cpu | cuda | cuda:N (default cpu)"))
    .addOption(
      new Option(
        "--out <dir>",
        "write config.json, metrics.jsonl, model.f32, model.json, checkpoint/",
      ),
    )
    .addOption(new Option("--resume", "continue the run in --out from its last checkpoint"))
    .addOption(
      new Option("--eval-every <k>", "evaluate every K rounds, and after the last (default 1)"),
    )
    .addOption(new Option("--config <file>", "read options from a JSON file; flags override it"))
    .addOption(new Option("--redis <url>", "redis:// or rediss:// URL, for --trainer redis"))
    .addOption(new Option("--synthetic-alpha <a>", "LEAF Synthetic alpha (default 1)"))
    .addOption(new Option("--synthetic-beta <b>", "LEAF Synthetic beta (default 1)"))
    .addOption(
      new Option(
        "--run-id <id>",
        "namespaces a Redis run's keys (default: $BLAZEFL_RUN_ID or 'default')",
      ),
    )
    .addOption(new Option("--quiet", "no progress bars and no per-round lines"));
}

/**
 * The algorithm's own flags, which commander leaves unparsed: `--name value`, `--name=value`,
 * or a bare `--flag` (true). Their values stay text; the algorithm's schema parses them.
 */
export function parseAlgorithmFlags(args: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith("--") || arg === "--")
      throw new OptionsError(
        "argument",
        arg,
        "only --options (blazefl run takes no positional arguments)",
      );
    const eq = arg.indexOf("=");
    const name = (eq > 0 ? arg.slice(2, eq) : arg.slice(2)).replace(/-([a-z])/g, (_, c: string) =>
      c.toUpperCase(),
    );
    if (eq > 0) out[name] = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        out[name] = next;
        i++;
      } else out[name] = "true";
    }
  }
  return out;
}

/** Merges `--config` (if any) under the flags given. Validation happens once, in the run. */
export function optionsFromCommand(
  flags: Readonly<Record<string, unknown>>,
  extra: readonly string[] = [],
): Record<string, unknown> {
  const { config, ...rest } = flags;
  const fromFile = typeof config === "string" ? readConfigFile(config) : {};
  return { ...fromFile, ...rest, ...parseAlgorithmFlags(extra) };
}

/** Runs one experiment from raw options, printing lines and the JSON summary. */
export async function runAndPrint(options: Readonly<Record<string, unknown>>): Promise<void> {
  const summary = await withInterrupts((signal) =>
    runExperiment(options, {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
      signal,
    }),
  );
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/** The `run` subcommand. */
export function runCommand(): Command {
  return addRunOptions(
    new Command("run")
      .description(
        "Run a federated-learning simulation; algorithm options are flags too (see `blazefl algorithms`)",
      )
      .allowUnknownOption()
      .allowExcessArguments(),
  ).action(async (flags: Record<string, unknown>, command: Command) => {
    await runAndPrint(optionsFromCommand(flags, command.args));
  });
}
