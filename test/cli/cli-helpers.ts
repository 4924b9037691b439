/** Helpers for tests that run the real `blazefl` command in a child process. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The CLI's entry point, run through tsx like the rest of the tests. */
export const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** The result of a finished CLI run. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `blazefl ...args`; `tag` goes into the environment so descendants can be found. */
export function startCli(args: readonly string[], tag = "none"): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    env: { ...process.env, BLAZEFL_TEST_TAG: tag },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Collects a started CLI's output until it exits. */
export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `blazefl ...args` to completion. */
export function runCli(args: readonly string[]): Promise<CliResult> {
  return finished(startCli(args));
}

/** The last stdout line, parsed as JSON. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "null") as Record<string, unknown>;
}

/** The pids of live processes whose environment holds BLAZEFL_TEST_TAG=`tag`. */
export function processesTagged(tag: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state !== "Z" && environ.split("\0").includes(`BLAZEFL_TEST_TAG=${tag}`))
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
