import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readCheckpoint } from "../../src/kit/checkpoint.js";
import { finished, processesTagged, startCli } from "./cli-helpers.js";

const SMALL = ["--clients", "20", "--sample-ratio", "0.2", "--batch-size", "16", "--seed", "7"];

/** Resolves once the run in `out` has checkpointed a round (fs.watch, no polling sleeps). */
function firstCheckpoint(out: string): Promise<void> {
  const done = (): boolean => {
    try {
      return (readCheckpoint(out)?.header.round ?? 0) >= 1;
    } catch {
      return false;
    }
  };
  return new Promise((resolve) => {
    const watcher = watch(out, { recursive: true }, () => {
      if (done()) {
        watcher.close();
        resolve();
      }
    });
    if (done()) {
      watcher.close();
      resolve();
    }
  });
}

describe("blazefl run: signals", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-signals-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [signal, code, trainer] of [
    ["SIGTERM", 143, "process"],
    ["SIGHUP", 129, "thread"],
  ] as const) {
    it(`exits ${code} on ${signal} after the clean-up of SIGINT (${trainer} trainer)`, async () => {
      const tag = randomUUID();
      const out = join(dir, signal);
      mkdirSync(out, { recursive: true });
      const args = ["run", ...SMALL, "--rounds", "40", "--trainer", trainer, "--parallels", "2"];
      const child = startCli([...args, "--out", out], tag);
      const result = finished(child);
      await firstCheckpoint(out);
      child.kill(signal);
      const { code: exitCode, signal: killedBy, stderr } = await result;
      assert.equal(killedBy, null, stderr);
      assert.equal(exitCode, code, stderr);
      assert.match(stderr, new RegExp(`${signal} received, stopping`));
      assert.deepEqual(processesTagged(tag), [], "no process of the run is left");
      const stoppedAt = readCheckpoint(out)?.header.round ?? 0;
      assert.ok(stoppedAt >= 1 && stoppedAt < 40, "the last checkpoint is intact");
    });
  }
});
