/**
 * Hung workers: a stall notice (`onStall`) after a multiple of the median job time, and a
 * per-client timeout (`clientTimeout`) that treats the worker as dead. Workers hang for real:
 * a process SIGSTOPs itself mid-job, a thread blocks in `Atomics.wait` and ignores the stop event.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { WorkerExitError, WorkerTimeoutError } from "../../../src/core/errors.js";
import type { StallInfo } from "../../../src/core/pool/trainer-options.js";
import {
  ToyProcessTrainer,
  ToyThreadTrainer,
  type ToyUp,
} from "../../fixtures/core/toy-trainers.js";
import { isRunning, scratchDir, toyPayload } from "../pool-helpers.js";

/** A safety net: without the feature under test, a hung worker blocks its call forever. */
const SAFETY = { timeout: 60_000 };
const payload = toyPayload();
const cids = [8, 9, 10];

/** The bytes of every result, to compare a disturbed call with an undisturbed one. */
function fingerprint(ups: readonly ToyUp[]): string[] {
  return ups.map(
    (up) =>
      `${up.cid} ${up.text} ${Buffer.from(up.values.buffer, up.values.byteOffset, up.values.byteLength).toString("hex")}`,
  );
}

describe("process pool: a SIGSTOPped worker", SAFETY, () => {
  it("is reported once to onStall (cid, pid, median), and finishes once continued", async () => {
    const scratch = scratchDir();
    const stalls: StallInfo[] = [];
    const trainer = new ToyProcessTrainer({
      numParallels: 2,
      stallFactor: 1,
      minStallSeconds: 0.2,
      onStall: (info) => {
        stalls.push(info);
        process.kill(info.pid, "SIGCONT");
      },
    });
    try {
      await trainer.localProcess(payload, cids);
      const undisturbed = fingerprint(trainer.uplinkPackage());
      assert.equal(stalls.length, 0, "no notice for quick jobs");
      const marker = scratch.file("stopped");
      trainer.modes = { 9: { mode: "sigstop-once", marker } };
      await trainer.localProcess(payload, cids);
      assert.deepEqual(fingerprint(trainer.uplinkPackage()), undisturbed);
      assert.equal(stalls.length, 1, "one notice per job");
      const [stall] = stalls as [StallInfo];
      assert.equal(stall.cid, 9);
      assert.equal(stall.pid, Number(readFileSync(marker, "utf8")));
      assert.equal(stall.threadId, 0);
      assert.ok(stall.runningSeconds >= 0.2, `ran ${stall.runningSeconds} s`);
      assert.ok(stall.medianSeconds > 0 && stall.medianSeconds < stall.runningSeconds);
    } finally {
      await trainer.shutdown();
      scratch.dispose();
    }
  });

  it("with clientTimeout, is killed and its client retried on a fresh worker, with the undisturbed result", async () => {
    const scratch = scratchDir();
    const trainer = new ToyProcessTrainer({ numParallels: 2, clientTimeout: 0.5, valuesLength: 5 });
    try {
      await trainer.localProcess(payload, cids);
      const undisturbed = fingerprint(trainer.uplinkPackage());
      const marker = scratch.file("stopped");
      trainer.modes = { 9: { mode: "sigstop-once", marker } };
      await trainer.localProcess(payload, cids);
      assert.deepEqual(fingerprint(trainer.uplinkPackage()), undisturbed);
      const stopped = Number(readFileSync(marker, "utf8"));
      assert.ok(!isRunning(stopped), "the hung worker was killed");
      assert.ok(!trainer.workerPids.includes(stopped), "and replaced");
      assert.equal(trainer.workerPids.length, 2);
    } finally {
      await trainer.shutdown();
      scratch.dispose();
    }
  });

  it("rejects with a WorkerTimeoutError naming the cid, the timeout and the option once the retries are used up", async () => {
    const scratch = scratchDir();
    const trainer = new ToyProcessTrainer({ numParallels: 1, clientTimeout: 0.3, maxRetries: 0 });
    try {
      trainer.modes = { 9: { mode: "sigstop-once", marker: scratch.file("stopped") } };
      await assert.rejects(trainer.localProcess(payload, cids), (error: unknown) => {
        assert.ok(error instanceof WorkerTimeoutError);
        assert.ok(error instanceof WorkerExitError, "handled like a worker that died");
        assert.equal(error.cid, 9);
        assert.equal(error.timeoutSeconds, 0.3);
        assert.equal(error.signal, "SIGKILL");
        assert.match(error.message, /Client 9 ran longer than clientTimeout \(0\.3 s\)/);
        return true;
      });
      trainer.modes = {};
      await trainer.localProcess(payload, cids);
      assert.equal(trainer.uplinkPackage().length, 3, "the pool stays usable");
    } finally {
      await trainer.shutdown();
      scratch.dispose();
    }
  });
});

describe("thread pool: a thread blocked in Atomics.wait", SAFETY, () => {
  it("is reported to onStall with its threadId, terminated at clientTimeout, and its client retried on a fresh thread", async () => {
    const scratch = scratchDir();
    const stalls: StallInfo[] = [];
    const trainer = new ToyThreadTrainer({
      numParallels: 2,
      clientTimeout: 1,
      stallFactor: 1,
      minStallSeconds: 0.2,
      onStall: (info) => stalls.push(info),
    });
    try {
      await trainer.localProcess(payload, cids);
      const undisturbed = fingerprint(trainer.uplinkPackage());
      const marker = scratch.file("hung");
      trainer.modes = { 9: { mode: "hang-once", marker } };
      await trainer.localProcess(payload, cids);
      assert.deepEqual(fingerprint(trainer.uplinkPackage()), undisturbed);
      const hung = Number(readFileSync(marker, "utf8"));
      assert.equal(stalls.length, 1);
      assert.equal(stalls[0]?.cid, 9);
      assert.equal(stalls[0]?.threadId, hung);
      assert.equal(stalls[0]?.pid, process.pid);
      assert.ok(!trainer.workerThreadIds.includes(hung), "the blocked thread was replaced");
      assert.equal(trainer.workerThreadIds.length, 2);
    } finally {
      await trainer.shutdown();
      scratch.dispose();
    }
  });
});
