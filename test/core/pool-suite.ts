/**
 * The behaviour both pool trainers share, written once and run for threads and for processes:
 * ordering, reuse, equality with the serial reference, stop, faults, shutdown, bad input.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  AbortError,
  OptionsError,
  SharedMemoryError,
  WorkerError,
  WorkerExitError,
} from "../../src/core/errors.js";
import type { ClientJob } from "../../src/core/pool/trainer-options.js";
import {
  type ToyDown,
  type ToyModes,
  type ToyProcessTrainer,
  ToySerialTrainer,
  type ToyThreadTrainer,
  type ToyUp,
} from "../fixtures/core/toy-trainers.js";
import { fifo, scratchDir, shuffledIds, toyPayload } from "./pool-helpers.js";

/**
 * A safety net, not a measurement: a broken stop or retry would otherwise spin forever. Every
 * test synchronises through FIFOs and promises and finishes in well under a second of work.
 */
const SAFETY = { timeout: 120_000 };

/** A toy pool trainer of either kind. */
export type ToyPool = ToyThreadTrainer | ToyProcessTrainer;

/** What differs between the kinds. */
export interface PoolKind {
  readonly name: "thread" | "process";
  /** Builds a toy trainer of this kind. */
  make(options: Record<string, unknown>): ToyPool;
  /** The ids of its workers (thread ids or pids). */
  workerIds(trainer: ToyPool): number[];
  /** Where a result ran. */
  ranOn(up: ToyUp): number;
  /** How the fixture kills its worker. */
  readonly dieHow: "sigkill" | "exit";
  /** The exit a dead worker reports. */
  readonly expectedExit: { readonly exitCode: number | null; readonly signal: string | null };
}

function bytes(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

async function serialReference(
  payload: ToyDown,
  cids: readonly number[],
  device = "cpu",
  deviceCount = 1,
) {
  const serial = new ToySerialTrainer({ device, deviceCount });
  await serial.localProcess(payload, cids);
  return serial.uplinkPackage();
}

function assertSameAsSerial(ups: readonly ToyUp[], reference: readonly ToyUp[]): void {
  assert.equal(ups.length, reference.length);
  for (const [i, up] of ups.entries()) {
    const ref = reference[i] as ToyUp;
    assert.equal(up.cid, ref.cid);
    assert.equal(up.text, ref.text);
    assert.equal(up.device, ref.device);
    assert.ok(
      bytes(up.values).equals(bytes(ref.values)),
      `values of client ${up.cid} differ bit for bit`,
    );
  }
}

/** Defines the shared suite for one kind of pool. */
export function definePoolSuite(kind: PoolKind): void {
  const payload = toyPayload();

  describe(`${kind.name} pool: order, reuse, equality with the serial trainer`, SAFETY, () => {
    const variants = [
      { numParallels: 1, options: { valuesLength: 5, device: "cuda", deviceCount: 3 } },
      { numParallels: 2, options: {} },
      {
        numParallels: 4,
        options: { valuesLength: 5, cacheTemplate: true, reuseResultBuffers: true },
      },
    ] as const;
    for (const { numParallels, options } of variants) {
      describe(`numParallels ${numParallels} ${JSON.stringify(options)}`, () => {
        let trainer: ToyPool;
        let ids: number[];
        before(async () => {
          trainer = kind.make({ numParallels, ...options });
          await trainer.start();
          ids = kind.workerIds(trainer);
        });
        after(() => trainer.shutdown());

        it("starts numParallels distinct workers", () => {
          assert.equal(ids.length, numParallels);
          assert.equal(new Set(ids).size, numParallels);
          if (kind.name === "process") assert.ok(!ids.includes(process.pid));
          else assert.ok(!ids.includes(0), "thread 0 is the main thread");
        });

        const lists: [string, number[]][] = [
          ["[]", []],
          ["[42]", [42]],
          ["[0..9]", Array.from({ length: 10 }, (_, i) => i)],
          ["shuffled [0..9]", shuffledIds(10)],
        ];
        for (const [label, cids] of lists) {
          it(`fills the cache in cidList order for ${label}, bit for bit as the serial trainer`, async () => {
            await trainer.localProcess(payload, cids);
            const ups = trainer.uplinkPackage();
            assert.deepEqual(
              ups.map((u) => u.cid),
              cids,
            );
            const device = "device" in options ? options.device : "cpu";
            const deviceCount = "deviceCount" in options ? options.deviceCount : 1;
            assertSameAsSerial(ups, await serialReference(payload, cids, device, deviceCount));
            if (device === "cuda")
              for (const up of ups) assert.equal(up.device, `cuda:${up.cid % 3}`);
            assert.deepEqual(trainer.uplinkPackage(), [], "uplinkPackage empties the cache");
            for (const up of ups)
              assert.ok(ids.includes(kind.ranOn(up)), "ran on one of the pool's workers");
            if (cids.length >= numParallels)
              assert.equal(
                new Set(ups.map((u) => kind.ranOn(u))).size,
                numParallels,
                "the first jobs go to distinct idle workers",
              );
          });
        }

        it("keeps the same workers across 3 more calls", async () => {
          for (let call = 0; call < 3; call++) {
            await trainer.localProcess(payload, [call, call + 10]);
            const ups = trainer.uplinkPackage();
            for (const up of ups) assert.ok(ids.includes(kind.ranOn(up)));
          }
          assert.deepEqual(kind.workerIds(trainer), ids);
        });

        it("appends successive calls to the cache until uplinkPackage takes them", async () => {
          await trainer.localProcess(toyPayload("a"), [3]);
          const first = trainer.cache[0] as ToyUp;
          const firstBytes = Buffer.from(bytes(first.values));
          await trainer.localProcess(toyPayload("b"), [4]);
          const ups = trainer.uplinkPackage();
          assert.deepEqual(
            ups.map((u) => u.text),
            ["a<3>", "b<4>"],
          );
          if (!("reuseResultBuffers" in options))
            assert.ok(
              bytes(first.values).equals(firstBytes),
              "results own their memory by default",
            );
        });
      });
    }
  });

  it(
    `${kind.name} pool: a recycled result buffer is zeroed for its next client, at any size`,
    SAFETY,
    async () => {
      // 70,001 floats: several 64 KiB blocks and a remainder.
      const n = 70_001;
      await using trainer = kind.make({
        numParallels: 2,
        valuesLength: n,
        cacheTemplate: true,
        reuseResultBuffers: true,
      });
      const big = toyPayload("big", n);
      await trainer.localProcess(big, [1, 2, 3, 4]);
      const dirty = trainer.uplinkPackage();
      assert.ok(dirty.every((u) => u.values[n - 1] !== 0));
      trainer.modes = Object.fromEntries(
        [5, 6, 7, 8].map((cid) => [cid, { mode: "expect-zeroed" }]),
      );
      await trainer.localProcess(toyPayload("small", 3), [5, 6, 7, 8]);
      const ups = trainer.uplinkPackage();
      assert.deepEqual(
        ups.map((u) => u.cid),
        [5, 6, 7, 8],
      );
      for (const up of ups) assert.equal(up.values[n - 1], 0);
    },
  );

  describe(`${kind.name} pool: stop, faults and recovery`, SAFETY, () => {
    let trainer: ToyPool;
    let scratch: ReturnType<typeof scratchDir>;
    let ids: number[];
    const cids = [1, 2, 3, 4, 5, 6];
    const run = async (modes: ToyModes, list: readonly number[] = cids) => {
      trainer.modes = modes;
      try {
        await trainer.localProcess(payload, list);
      } finally {
        trainer.modes = {};
      }
    };
    const expectHealthy = async () => {
      await trainer.localProcess(payload, cids);
      assertSameAsSerial(trainer.uplinkPackage(), await serialReference(payload, cids));
    };

    before(async () => {
      scratch = scratchDir();
      trainer = kind.make({ numParallels: 2, valuesLength: 5 });
      await trainer.start();
      ids = kind.workerIds(trainer);
    });
    after(async () => {
      await trainer.shutdown();
      scratch.dispose();
    });

    it("stops a busy worker when stopEvent is set, rejects with AbortError, stays usable", async () => {
      const started = fifo(scratch.file("stop.fifo"));
      try {
        const call = run({ 3: { mode: "wait-stop", fifo: started.path } });
        call.catch(() => {});
        const line = await started.next();
        assert.ok(line !== "", "the client reported that it runs");
        trainer.stopEvent.set();
        await assert.rejects(call, AbortError);
      } finally {
        started.dispose();
      }
      assert.deepEqual(trainer.cache, [], "a failed call adds nothing to the cache");
      await assert.rejects(
        trainer.localProcess(payload, [1]),
        AbortError,
        "a call while set rejects",
      );
      trainer.stopEvent.clear();
      await expectHealthy();
      assert.deepEqual(kind.workerIds(trainer), ids, "the busy worker stopped; nobody was killed");
    });

    it("rejects with AbortError when worker code sets the stop event", async () => {
      await assert.rejects(run({ 2: { mode: "set-stop" } }), AbortError);
      assert.ok(trainer.stopEvent.isSet());
      trainer.stopEvent.clear();
      await expectHealthy();
    });

    it("rejects with a WorkerError naming the cid when worker code throws, and stays usable", async () => {
      await assert.rejects(run({ 4: { mode: "throw" } }), (error: unknown) => {
        assert.ok(error instanceof WorkerError);
        assert.equal(error.cid, 4);
        assert.match(error.message, /Client 4/);
        assert.match(error.message, /toy failure in client 4/);
        const cause = error.cause as Error;
        assert.equal(cause.name, "RangeError");
        assert.equal(cause.message, "toy failure in client 4");
        assert.match(cause.stack ?? "", /toy-trainers/);
        return true;
      });
      assert.deepEqual(trainer.cache, []);
      await expectHealthy();
      assert.deepEqual(kind.workerIds(trainer), ids);
    });

    it("refuses a result whose arrays differ from the preallocated buffer", async () => {
      await assert.rejects(run({ 5: { mode: "wrong-size" } }), (error: unknown) => {
        assert.ok(error instanceof SharedMemoryError);
        assert.match(error.message, /Client 5/);
        assert.match(error.message, /Float32Array\(6\).*Float32Array\(5\)/);
        return true;
      });
      await expectHealthy();
    });

    it("replaces a worker that dies and retries its client", async () => {
      const marker = scratch.file("die-once");
      await run({ 6: { mode: "die-once", dieHow: kind.dieHow, marker } });
      assertSameAsSerial(trainer.uplinkPackage(), await serialReference(payload, cids));
      assert.equal(readFileSync(marker, "utf8").trim().split("\n").length, 1, "died exactly once");
      const now = kind.workerIds(trainer);
      assert.equal(now.length, 2);
      assert.equal(now.filter((id) => ids.includes(id)).length, 1, "one worker was replaced");
      ids = now;
    });

    it("rejects with a WorkerExitError once the retries are used up, and stays usable", async () => {
      const marker = scratch.file("die-always");
      await assert.rejects(
        run({ 1: { mode: "die", dieHow: kind.dieHow, marker } }),
        (error: unknown) => {
          assert.ok(error instanceof WorkerExitError);
          assert.equal(error.cid, 1);
          assert.equal(error.exitCode, kind.expectedExit.exitCode);
          assert.equal(error.signal, kind.expectedExit.signal);
          assert.match(error.message, /client 1/);
          return true;
        },
      );
      assert.equal(
        readFileSync(marker, "utf8").trim().split("\n").length,
        2,
        "1 try + maxRetries (1)",
      );
      await expectHealthy();
      ids = kind.workerIds(trainer);
    });

    it("iterates what progressFn returns, in submission order", async () => {
      const seen: number[] = [];
      let yielded = 0;
      trainer.progressFn = function* (jobs: readonly ClientJob<ToyUp>[]) {
        seen.push(...jobs.map((job) => job.cid));
        for (const job of jobs) {
          yielded++;
          yield job;
        }
      };
      try {
        const list = shuffledIds(7);
        await trainer.localProcess(payload, list);
        assert.deepEqual(seen, list);
        assert.equal(yielded, list.length);
        assert.deepEqual(
          trainer.uplinkPackage().map((u) => u.cid),
          list,
        );
        trainer.progressFn = () => {
          throw new Error("progress bar broke");
        };
        await assert.rejects(trainer.localProcess(payload, [1, 2]), /progress bar broke/);
      } finally {
        delete (trainer as { progressFn?: unknown }).progressFn;
      }
      await expectHealthy();
    });

    it("rejects bad cid lists with an OptionsError naming the entry", async () => {
      const cases: [unknown, string][] = [
        [[1, 1], "cidList[1]"],
        [[-1], "cidList[0]"],
        [[0, 1.5], "cidList[1]"],
        [["3"], "cidList[0]"],
        [[Number.NaN], "cidList[0]"],
        ["0,1", "cidList"],
      ];
      for (const [list, option] of cases)
        await assert.rejects(trainer.localProcess(payload, list as number[]), (error: unknown) => {
          assert.ok(error instanceof OptionsError, `${JSON.stringify(list)} gives an OptionsError`);
          assert.equal(error.option, option);
          return true;
        });
    });

    it("rejects a config that cannot cross to a worker, and stays usable", async () => {
      const original = trainer.getClientConfig.bind(trainer);
      trainer.getClientConfig = (cid) => ({ ...original(cid), callback: () => cid }) as never;
      try {
        await assert.rejects(trainer.localProcess(payload, [1, 2]), (error: unknown) => {
          assert.ok(error instanceof OptionsError);
          assert.equal(error.option, "getClientConfig(1)");
          return true;
        });
      } finally {
        delete (trainer as { getClientConfig?: unknown }).getClientConfig;
      }
      await expectHealthy();
    });

    it("rejects a device returned by getClientDevice that it does not know", async () => {
      trainer.getClientDevice = () => "tpu";
      try {
        await assert.rejects(trainer.localProcess(payload, [1]), (error: unknown) => {
          assert.ok(error instanceof OptionsError);
          assert.equal(error.option, "getClientDevice(1)");
          return true;
        });
      } finally {
        delete (trainer as { getClientDevice?: unknown }).getClientDevice;
      }
    });
  });

  describe(`${kind.name} pool: options, retries and shutdown`, SAFETY, () => {
    it("rejects bad options with an OptionsError naming the option", () => {
      const bad: [Record<string, unknown>, string][] = [
        [{ numParallels: 0 }, "numParallels"],
        [{ numParallels: -2 }, "numParallels"],
        [{ numParallels: 1.5 }, "numParallels"],
        [{ numParallels: "2" }, "numParallels"],
        [{ numParallels: Number.NaN }, "numParallels"],
        [{ numParallels: 1, device: "gpu" }, "device"],
        [{ numParallels: 1, device: "cuda:" }, "device"],
        [{ numParallels: 1, device: "cuda:01" }, "device"],
        [{ numParallels: 1, device: "CPU" }, "device"],
        [{ numParallels: 1, deviceCount: 0 }, "deviceCount"],
        [{ numParallels: 1, maxRetries: -1 }, "maxRetries"],
        [{ numParallels: 1, maxRetries: 0.5 }, "maxRetries"],
        [{ numParallels: 1, workerModule: "relative/module.ts" }, "workerModule"],
        [{ numParallels: 1, workerExport: "" }, "workerExport"],
        [{ numParallels: 1, reuseResultBuffers: "yes" }, "reuseResultBuffers"],
        [{ numParallels: 1, clientTimeout: 0 }, "clientTimeout"],
        [{ numParallels: 1, clientTimeout: -1 }, "clientTimeout"],
        [{ numParallels: 1, clientTimeout: "5" }, "clientTimeout"],
        [{ numParallels: 1, clientTimeout: Number.NaN }, "clientTimeout"],
        [{ numParallels: 1, clientTimeout: Number.POSITIVE_INFINITY }, "clientTimeout"],
        [{ numParallels: 1, onStall: "log" }, "onStall"],
        [{ numParallels: 1, stallFactor: 0.5 }, "stallFactor"],
        [{ numParallels: 1, minStallSeconds: -1 }, "minStallSeconds"],
      ];
      for (const [options, option] of bad)
        assert.throws(
          () => kind.make(options),
          (error: unknown) => error instanceof OptionsError && error.option === option,
          `${JSON.stringify(options)} names ${option}`,
        );
      for (const device of [
        "cpu",
        "cpu-reference",
        "cpu-native",
        "cpu-wasm",
        "cuda",
        "cuda:0",
        "cuda:12",
      ])
        assert.doesNotThrow(() => kind.make({ numParallels: 1, device }));
    });

    it("rejects a workerModule that does not export the class, or a wrong workerExport", async () => {
      const notExporting = kind.make({
        numParallels: 1,
        workerModule: new URL("./pool-helpers.ts", import.meta.url),
      });
      await assert.rejects(notExporting.localProcess(payload, [1]), (error: unknown) => {
        assert.ok(error instanceof OptionsError);
        assert.equal(error.option, "workerModule");
        return true;
      });
      await notExporting.shutdown();
      const wrongExport = kind.make({ numParallels: 1, workerExport: "NoSuchTrainer" });
      await assert.rejects(wrongExport.localProcess(payload, [1]), (error: unknown) => {
        assert.ok(error instanceof OptionsError);
        assert.equal(error.option, "workerExport");
        return true;
      });
      await wrongExport.shutdown();
    });

    it("honours maxRetries: 0, shuts down idempotently, and refuses work afterwards", async () => {
      const scratch = scratchDir();
      const trainer = kind.make({ numParallels: 1, maxRetries: 0 });
      try {
        const marker = scratch.file("die-once");
        trainer.modes = { 7: { mode: "die-once", dieHow: kind.dieHow, marker } };
        await assert.rejects(trainer.localProcess(payload, [7]), WorkerExitError);
        assert.equal(readFileSync(marker, "utf8").trim().split("\n").length, 1, "no retry");
        await trainer.localProcess(payload, [7]);
        assert.equal(trainer.uplinkPackage().length, 1, "the replacement worker runs it");
        const dir = "sharedMemoryPath" in trainer ? trainer.sharedMemoryPath : undefined;
        const first = trainer.shutdown();
        assert.equal(trainer.shutdown(), first, "the same promise");
        await first;
        await trainer.shutdown();
        await trainer[Symbol.asyncDispose]();
        if (dir !== undefined) assert.ok(!existsSync(dir), "shared-memory files removed");
        await assert.rejects(trainer.localProcess(payload, [1]), AbortError);
        await assert.rejects(trainer.start(), AbortError);
      } finally {
        await trainer.shutdown();
        scratch.dispose();
      }
    });

    it("supports await using", async () => {
      let ids: number[];
      {
        await using trainer = kind.make({ numParallels: 1 });
        await trainer.localProcess(payload, [1]);
        ids = kind.workerIds(trainer);
        assert.equal(ids.length, 1);
      }
      if (kind.name === "process") {
        const { isRunning } = await import("./pool-helpers.js");
        assert.ok(!isRunning(ids[0] as number), "the worker process is gone");
      }
    });
  });
}
