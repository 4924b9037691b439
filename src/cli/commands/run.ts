/**
 * `blazefl run` runs a registered algorithm (or a user's module) with every option of the
 * command-line contract; an algorithm's own options are flags too (`--mu 1`), checked by its
 * schema.
 * @module
 */
import { closeSync, openSync, readSync } from "node:fs";
import { Command, Option } from "commander";
import { OptionsError } from "../../core/errors.js";
import { flagName, runOptionsSchema } from "../../kit/experiment-options.js";
import { type RunSummary, runExperiment } from "../../kit/run-experiment.js";
import { withInterrupts } from "../interrupts.js";

/** The largest `--config` file read: options fit in far less; `/dev/zero` must not fill memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads at most `max + 1` bytes of `file` (a device or a pipe has no size to check first). */
function readAtMost(file: string, max: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length <= max; length += n)
      n = readSync(fd, buffer, length, buffer.length - length, null);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** Reads a `--config` JSON file (keys as the long options, in kebab-case or camelCase). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    const bytes = readAtMost(file, MAX_CONFIG_BYTES);
    if (bytes.length > MAX_CONFIG_BYTES)
      throw new OptionsError("--config", file, `a JSON file of at most ${MAX_CONFIG_BYTES} bytes`);
    text = bytes.toString("utf8");
  } catch (error) {
    if (error instanceof OptionsError) throw error;
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

/**
 * Adds every option of {@link runOptionsSchema} to `command` as a flag, with the schema's help
 * text (no defaults here: the schema fills them in when the run validates its options).
 */
export function addRunOptions(command: Command): Command {
  for (const [key, field] of Object.entries(runOptionsSchema.shape)) {
    if (key === "algorithmOptions") continue;
    const boolean = field.safeParse(true).success && !field.safeParse("x").success;
    command.addOption(
      new Option(
        `${flagName(key)}${boolean ? "" : ` <${key === "algorithm" ? "name" : "value"}>`}`,
        field.description ?? "",
      ),
    );
  }
  return command.addOption(
    new Option("--config <file>", "read options from a JSON file; flags override it"),
  );
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
export async function runAndPrint(options: Readonly<Record<string, unknown>>): Promise<RunSummary> {
  const summary = await withInterrupts((signal) =>
    runExperiment(options, {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
      signal,
    }),
  );
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary;
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
