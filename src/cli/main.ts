#!/usr/bin/env node
/**
 * The `blazefl` command. Subcommands are registered in {@link buildProgram}.
 * Exit codes: 0 done; 2 bad options or input (the message names the option); 130 interrupted
 * (SIGINT, Ctrl+C), 143 terminated (SIGTERM), 129 hung up (SIGHUP), each after the same clean-up;
 * 1 anything else.
 * @module
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { BlazeFLError, exitCodeFor } from "../core/errors.js";
import { algorithmsCommand } from "./commands/algorithms.js";
import { dataCommand } from "./commands/data.js";
import { privacyCommand } from "./commands/privacy.js";
import { quickstartCommand } from "./commands/quickstart.js";
import { reportCommand } from "./commands/report.js";
import { runCommand } from "./commands/run.js";
import { workerCommand } from "./commands/worker.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Builds the `blazefl` program with every subcommand. */
export function buildProgram(): Command {
  const program = new Command("blazefl")
    .description("Fast, deterministic federated-learning simulation for Node.js")
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own usage errors (unknown option, missing argument) are bad options: exit 2.
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.exitCode === 0
      )
        process.exit(0);
      process.exit(2);
    });
  program.addCommand(runCommand());
  program.addCommand(algorithmsCommand());
  program.addCommand(quickstartCommand());
  program.addCommand(dataCommand());
  program.addCommand(reportCommand());
  program.addCommand(workerCommand());
  program.addCommand(privacyCommand());
  for (const command of program.commands)
    command.exitOverride((err) => {
      if (err.exitCode === 0) process.exit(0);
      process.exit(2);
    });
  return program;
}

/**
 * A closed stdout (`blazefl run ... | head -2`) must not kill a run: its results go to `--out`,
 * so EPIPE is ignored and training goes on; any other stdout error is reported.
 */
function tolerateClosedStdout(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") return;
    process.stderr.write(`blazefl: stdout: ${error.message}\n`);
  });
}

/** Runs the CLI with `argv` and sets the contract's exit code on error. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  tolerateClosedStdout();
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    const message =
      error instanceof BlazeFLError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`blazefl: ${message}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

await main();
