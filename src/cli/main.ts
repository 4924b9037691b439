#!/usr/bin/env node
/**
 * The `blazefl` command. Subcommands are registered in {@link buildProgram}.
 * @module
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { BlazeFLError, exitCodeFor } from "../core/errors.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Builds the `blazefl` program with every subcommand. */
export function buildProgram(): Command {
  const program = new Command("blazefl")
    .description("Fast, deterministic federated-learning simulation for Node.js")
    .version(pkg.version);
  return program;
}

/** Runs the CLI with `argv` and exits with the contract's exit code on error. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    const message = error instanceof BlazeFLError ? error.message : String(error);
    process.stderr.write(`blazefl: ${message}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

await main();
