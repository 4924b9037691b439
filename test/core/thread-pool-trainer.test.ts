import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { ThreadPoolClientTrainer } from "../../src/core/thread-pool-trainer.js";
import { ToyThreadTrainer } from "../fixtures/core/toy-trainers.js";
import { toyPayload } from "./pool-helpers.js";
import { definePoolSuite, type ToyPool } from "./pool-suite.js";

definePoolSuite({
  name: "thread",
  make: (options) =>
    new ToyThreadTrainer(options as unknown as ConstructorParameters<typeof ToyThreadTrainer>[0]),
  workerIds: (trainer: ToyPool) => (trainer as ToyThreadTrainer).workerThreadIds,
  ranOn: (up) => {
    assert.equal(up.pid, process.pid, "threads run in the parent process");
    return up.threadId;
  },
  dieHow: "exit",
  expectedExit: { exitCode: 7, signal: null },
});

/** Exported so that the worker threads find it; it does not override `worker`. */
export class NoWorkerThreadTrainer extends ThreadPoolClientTrainer<unknown, unknown, undefined> {
  getClientConfig(): undefined {
    return undefined;
  }
}

describe("thread pool: specifics", () => {
  it("refuses a class that does not override static worker()", async () => {
    const trainer = new NoWorkerThreadTrainer({ numParallels: 1, workerModule: import.meta.url });
    await assert.rejects(trainer.localProcess(toyPayload(), [1]), (error: unknown) => {
      assert.ok(error instanceof OptionsError);
      assert.equal(error.option, "worker");
      return true;
    });
    await trainer.shutdown();
  });

  it("shares results zero-copy: the cache views SharedArrayBuffers", async () => {
    await using trainer = new ToyThreadTrainer({ numParallels: 1, valuesLength: 5 });
    await trainer.localProcess(toyPayload(), [1]);
    const [up] = trainer.uplinkPackage();
    assert.ok(up?.values.buffer instanceof SharedArrayBuffer);
  });

  it("rejects bad preload entries", () => {
    assert.throws(
      () => new ToyThreadTrainer({ numParallels: 1, preload: ["not-a-url"] }),
      (error: unknown) => error instanceof OptionsError && error.option === "preload[0]",
    );
  });
});
