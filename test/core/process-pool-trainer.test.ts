import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { inheritedExecArgv } from "../../src/core/pool/worker-module.js";
import { NoWorkerProcessTrainer, ToyProcessTrainer } from "../fixtures/core/toy-trainers.js";
import { fifo, isRunning, scratchDir, toyPayload } from "./pool-helpers.js";
import { definePoolSuite, type ToyPool } from "./pool-suite.js";

definePoolSuite({
  name: "process",
  make: (options) =>
    new ToyProcessTrainer(options as unknown as ConstructorParameters<typeof ToyProcessTrainer>[0]),
  workerIds: (trainer: ToyPool) => (trainer as ToyProcessTrainer).workerPids,
  ranOn: (up) => up.pid,
  dieHow: "sigkill",
  expectedExit: { exitCode: null, signal: "SIGKILL" },
});

describe("process pool: specifics", { timeout: 120_000 }, () => {
  it("survives a SIGKILL from outside while a worker is busy, and retries the client", async () => {
    const scratch = scratchDir();
    const started = fifo(scratch.file("busy.fifo"));
    const marker = scratch.file("killed");
    const trainer = new ToyProcessTrainer({ numParallels: 2 });
    try {
      trainer.modes = { 9: { mode: "block-until-killed", marker, fifo: started.path } };
      const call = trainer.localProcess(toyPayload(), [8, 9, 10]);
      call.catch(() => {});
      const pid = Number(await started.next());
      assert.ok(trainer.workerPids.includes(pid));
      process.kill(pid, "SIGKILL");
      await call;
      assert.deepEqual(
        trainer.uplinkPackage().map((u) => u.cid),
        [8, 9, 10],
      );
      assert.equal(readFileSync(marker, "utf8"), String(pid));
      assert.ok(!trainer.workerPids.includes(pid), "the killed worker was replaced");
      assert.equal(trainer.workerPids.length, 2);
      assert.ok(!isRunning(pid));
    } finally {
      started.dispose();
      await trainer.shutdown();
      scratch.dispose();
    }
  });

  it("refuses a class that does not override static worker()", async () => {
    const trainer = new NoWorkerProcessTrainer(1);
    await assert.rejects(trainer.localProcess(toyPayload(), [1]), (error: unknown) => {
      assert.ok(error instanceof OptionsError);
      assert.equal(error.option, "worker");
      return true;
    });
    await trainer.shutdown();
  });

  it("passes loaders to workers but not --eval, --test, --watch or --inspect", () => {
    assert.deepEqual(
      inheritedExecArgv([
        "--import",
        "tsx",
        "--eval",
        "code",
        "--test",
        "--inspect=9229",
        "--max-old-space-size=512",
        "-e",
        "x",
      ]),
      ["--import", "tsx", "--max-old-space-size=512"],
    );
  });

  it("drops the value of a dropped test-runner flag given as its own argument", () => {
    assert.deepEqual(
      inheritedExecArgv([
        "--test",
        "--test-timeout",
        "100",
        "--test-shard",
        "1/2",
        "--no-warnings",
      ]),
      ["--no-warnings"],
    );
  });

  it("rejects bad execArgv and sharedMemoryDir", () => {
    assert.throws(
      () =>
        new ToyProcessTrainer({ numParallels: 1, execArgv: "--import tsx" as unknown as string[] }),
      (error: unknown) => error instanceof OptionsError && error.option === "execArgv",
    );
    assert.throws(
      () => new ToyProcessTrainer({ numParallels: 1, sharedMemoryDir: "" }),
      (error: unknown) => error instanceof OptionsError && error.option === "sharedMemoryDir",
    );
  });
});
