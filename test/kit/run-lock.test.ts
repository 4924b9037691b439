import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { exitCodeFor, OptionsError } from "../../src/core/errors.js";
import { acquireRunLock, RUN_LOCK_FILE } from "../../src/kit/run-lock.js";

const HOLD = fileURLToPath(new URL("../fixtures/kit/hold-lock.ts", import.meta.url));

function hold(dir: string, ...extra: string[]): { child: ChildProcess; first: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", HOLD, dir, ...extra], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const first = new Promise<string>((resolve) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", () => resolve(out.trim()));
  });
  return { child, first };
}

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-lock-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid as number;
}

describe("the --out lock", () => {
  it("a second run is refused with an OptionsError naming --out and the holder's pid", async (t) => {
    const dir = scratch(t);
    const a = hold(dir);
    t.after(() => a.child.kill("SIGKILL"));
    assert.equal(await a.first, "held");
    assert.throws(
      () => acquireRunLock(dir),
      (error: unknown) =>
        error instanceof OptionsError &&
        error.option === "--out" &&
        exitCodeFor(error) === 2 &&
        error.message.includes(`run ${a.child.pid} on ${hostname()}`),
    );
    // A second process is refused too.
    const b = hold(dir);
    assert.match(await b.first, /^refused: --out: /);
    const [code] = await once(b.child, "exit");
    assert.equal(code, 2);
    a.child.stdin?.end();
    await once(a.child, "exit");
  });

  it("the lock of a SIGKILLed run is stale and taken over; release removes it", async (t) => {
    const dir = scratch(t);
    const a = hold(dir);
    assert.equal(await a.first, "held");
    a.child.kill("SIGKILL");
    await once(a.child, "exit");
    assert.ok(existsSync(join(dir, RUN_LOCK_FILE)), "SIGKILL leaves the lock behind");
    const lock = acquireRunLock(dir);
    assert.equal((JSON.parse(readFileSync(lock.path, "utf8")) as { pid: number }).pid, process.pid);
    lock.release();
    assert.ok(!existsSync(lock.path));
    lock.release();
  });

  it("a run that exits without releasing leaves no lock (the exit hook removes it)", async (t) => {
    const dir = scratch(t);
    const a = hold(dir, "exit");
    assert.equal(await a.first, "held");
    await once(a.child, "exit");
    assert.ok(!existsSync(join(dir, RUN_LOCK_FILE)));
  });

  it("four runs racing for one stale lock: exactly one holds it", async (t) => {
    const dir = scratch(t);
    writeFileSync(
      join(dir, RUN_LOCK_FILE),
      JSON.stringify({ pid: await deadPid(), host: hostname(), startedAt: "then" }),
    );
    const racers = [0, 1, 2, 3].map(() => hold(dir));
    t.after(() => {
      for (const r of racers) r.child.kill("SIGKILL");
    });
    const outcomes = await Promise.all(racers.map((r) => r.first));
    assert.equal(outcomes.filter((o) => o === "held").length, 1, outcomes.join("\n"));
    assert.equal(outcomes.filter((o) => o.startsWith("refused: --out")).length, 3);
  });

  it("a lock from another host is never taken over (its pid cannot be checked)", (t) => {
    const dir = scratch(t);
    writeFileSync(
      join(dir, RUN_LOCK_FILE),
      JSON.stringify({ pid: 1, host: `not-${hostname()}`, startedAt: "then" }),
    );
    assert.throws(() => acquireRunLock(dir), /--out.*on not-/);
  });
});
