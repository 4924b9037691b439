import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { removeOrphanedDirectories } from "../../src/core/pool/region-files.js";
import { childrenOf, isRunning, scratchDir } from "./pool-helpers.js";

const parentScript = new URL("../fixtures/core/pool-parent.ts", import.meta.url).pathname;

interface Started {
  readonly child: ChildProcess;
  readonly pids: number[];
  readonly dir: string;
  readonly stderr: string[];
}

async function startParent(mode: string, scratch: string): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", parentScript, mode, scratch], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(() => {
      throw new Error(`parent exited before it was ready: ${stderr.join("")}`);
    }),
  ])) as [string];
  const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
  return { child, pids, dir, stderr };
}

/** Waits until the workers are gone: they were orphaned, so nothing can wait on them directly. */
async function waitGone(pids: readonly number[]): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (pids.every((pid) => !isRunning(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe("process pool: signals never leave an orphan", { timeout: 120_000 }, () => {
  it("SIGINT to a parent without its own handler ends every worker, removes the files, and ends the parent", async () => {
    const scratch = scratchDir();
    try {
      const { child, pids, dir } = await startParent("plain", scratch.path);
      assert.equal(pids.length, 2);
      assert.deepEqual(
        childrenOf(child.pid as number).sort(),
        [...pids].sort(),
        "the workers are its children",
      );
      assert.ok(pids.every(isRunning) && existsSync(dir));
      child.kill("SIGINT");
      const [code, signal] = await once(child, "exit");
      assert.equal(signal, "SIGINT", `ended by the re-raised signal (code ${code})`);
      for (const pid of pids)
        assert.ok(!isRunning(pid), `worker ${pid} is gone from the process table`);
      assert.ok(!existsSync(dir), "shared-memory directory removed");
    } finally {
      scratch.dispose();
    }
  });

  it("SIGINT to a parent with its own handler ends the workers and lets the handler decide", async () => {
    const scratch = scratchDir();
    try {
      const { child, pids, dir, stderr } = await startParent("handled", scratch.path);
      child.kill("SIGINT");
      const [code] = await once(child, "exit");
      assert.equal(code, 130);
      assert.match(stderr.join(""), /aborted: AbortError: SIGINT received/);
      for (const pid of pids) assert.ok(!isRunning(pid), `worker ${pid} is gone`);
      assert.ok(!existsSync(dir));
    } finally {
      scratch.dispose();
    }
  });

  it("a parent that never calls shutdown() still exits, taking its workers and files with it", async () => {
    const scratch = scratchDir();
    try {
      const { child, pids, dir } = await startParent("idle-exit", scratch.path);
      const [code] = await once(child, "exit");
      assert.equal(code, 0, "idle workers do not keep the parent alive");
      for (const pid of pids) assert.ok(!isRunning(pid));
      assert.ok(!existsSync(dir));
    } finally {
      scratch.dispose();
    }
  });

  it("busy workers of a parent killed by SIGKILL stop at their next check; the next pool sweeps the files", async () => {
    const scratch = scratchDir();
    try {
      const { child, pids, dir } = await startParent("plain", scratch.path);
      child.kill("SIGKILL");
      await once(child, "exit");
      assert.ok(await waitGone(pids), "orphaned workers noticed the parent is gone and exited");
      assert.ok(existsSync(dir), "nobody could clean up after SIGKILL");
      removeOrphanedDirectories(dir.slice(0, dir.lastIndexOf("/")));
      assert.ok(!existsSync(dir), "a later pool removes directories of dead parents");
    } finally {
      scratch.dispose();
    }
  });
});
