import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AbortError, OptionsError, SharedMemoryError, WorkerError } from "../../src/core/errors.js";
import type { ClientJob } from "../../src/core/pool/trainer-options.js";
import { SerialClientTrainer } from "../../src/core/serial-client-trainer.js";
import { expectedToy, ToySerialTrainer, type ToyUp } from "../fixtures/core/toy-trainers.js";
import { shuffledIds, toyPayload } from "./pool-helpers.js";

class NoWorkerSerialTrainer extends SerialClientTrainer<unknown, unknown, undefined> {
  getClientConfig(): undefined {
    return undefined;
  }
}

describe("SerialClientTrainer", () => {
  const payload = toyPayload();

  for (const valuesLength of [undefined, 5]) {
    it(`trains clients in cidList order (valuesLength ${String(valuesLength)})`, async () => {
      const trainer = new ToySerialTrainer(valuesLength === undefined ? {} : { valuesLength });
      for (const cids of [[], [42], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], shuffledIds(10)]) {
        await trainer.localProcess(payload, cids);
        const ups = trainer.uplinkPackage();
        assert.deepEqual(
          ups.map((u) => u.cid),
          cids,
        );
        for (const up of ups) {
          const expected = expectedToy(payload, up.cid);
          assert.equal(up.text, expected.text);
          assert.deepEqual(Array.from(up.values), Array.from(expected.values));
          assert.equal(up.pid, process.pid);
          assert.notEqual(up.values.buffer, payload.values.buffer);
        }
      }
      assert.equal(trainer.numParallels, 1);
    });
  }

  it("gives results that share no memory with the payload", async () => {
    class Echo extends ToySerialTrainer {
      static override worker(): ToyUp {
        return { cid: 0, text: "", values: payload.values, device: "cpu", pid: 0, threadId: 0 };
      }
    }
    const trainer = new Echo();
    await trainer.localProcess(payload, [1]);
    const [up] = trainer.uplinkPackage();
    assert.notEqual(up?.values, payload.values);
    assert.deepEqual(Array.from(up?.values ?? []), Array.from(payload.values));
  });

  it("never writes into the template, so one template can serve every client", async () => {
    const template: ToyUp = {
      cid: 0,
      text: "",
      values: new Float32Array(5),
      device: "",
      pid: 0,
      threadId: 0,
    };
    class Cached extends ToySerialTrainer {
      override prepareUplinkPackageBuffer(): ToyUp {
        return template;
      }
    }
    const trainer = new Cached();
    await trainer.localProcess(payload, [1, 2]);
    const [a, b] = trainer.uplinkPackage();
    assert.notEqual(a?.values, b?.values);
    assert.deepEqual(Array.from(a?.values ?? []), Array.from(expectedToy(payload, 1).values));
    assert.deepEqual(Array.from(b?.values ?? []), Array.from(expectedToy(payload, 2).values));
    assert.deepEqual(Array.from(template.values), [0, 0, 0, 0, 0]);
  });

  it('maps "cuda" round-robin over deviceCount and keeps other devices', async () => {
    const trainer = new ToySerialTrainer({ device: "cuda", deviceCount: 2 });
    await trainer.localProcess(payload, [0, 1, 2, 5]);
    assert.deepEqual(
      trainer.uplinkPackage().map((u) => u.device),
      ["cuda:0", "cuda:1", "cuda:0", "cuda:1"],
    );
    assert.equal(new ToySerialTrainer({ device: "cuda:1" }).getClientDevice(7), "cuda:1");
    assert.equal(new ToySerialTrainer({ device: "cpu-wasm" }).getClientDevice(7), "cpu-wasm");
  });

  it("wraps an exception in a WorkerError naming the cid, with the original as cause", async () => {
    const trainer = new ToySerialTrainer({ modes: { 3: { mode: "throw" } } });
    await assert.rejects(trainer.localProcess(payload, [1, 3, 5]), (error: unknown) => {
      assert.ok(error instanceof WorkerError);
      assert.equal(error.cid, 3);
      assert.ok(error.cause instanceof RangeError);
      return true;
    });
    assert.deepEqual(trainer.cache, []);
    trainer.modes = {};
    await trainer.localProcess(payload, [1, 3, 5]);
    assert.equal(trainer.uplinkPackage().length, 3);
  });

  it("refuses a result that does not match prepareUplinkPackageBuffer()", async () => {
    const trainer = new ToySerialTrainer({ valuesLength: 5, modes: { 2: { mode: "wrong-size" } } });
    await assert.rejects(trainer.localProcess(payload, [2]), (error: unknown) => {
      assert.ok(error instanceof SharedMemoryError);
      assert.match(error.message, /Client 2: result\.values is a Float32Array\(6\)/);
      return true;
    });
  });

  it("stops when the stop event is set, and refuses to start while it is set", async () => {
    const trainer = new ToySerialTrainer({ modes: { 2: { mode: "set-stop" } } });
    await assert.rejects(trainer.localProcess(payload, [1, 2, 3]), AbortError);
    await assert.rejects(trainer.localProcess(payload, [1]), AbortError);
    trainer.stopEvent.clear();
    trainer.modes = {};
    await trainer.localProcess(payload, [1]);
    assert.equal(trainer.uplinkPackage().length, 1);
  });

  it("aborts at once when the stop event is set from the progress hook", async () => {
    const trainer = new ToySerialTrainer();
    let started = 0;
    trainer.progressFn = function* (jobs: readonly ClientJob<ToyUp>[]) {
      for (const job of jobs) {
        started++;
        if (job.index === 1) trainer.stopEvent.set();
        yield job;
      }
    };
    await assert.rejects(trainer.localProcess(payload, [1, 2, 3, 4]), AbortError);
    assert.ok(started <= 2, "the hook is not iterated past the abort");
    trainer.stopEvent.clear();
  });

  it("runs calls one after another, never overlapping", async () => {
    const trainer = new ToySerialTrainer();
    await Promise.all([trainer.localProcess(payload, [1, 2]), trainer.localProcess(payload, [3])]);
    assert.deepEqual(
      trainer.uplinkPackage().map((u) => u.cid),
      [1, 2, 3],
    );
  });

  it("with reuseResultBuffers, hands the previous call's result memory to the next call", async () => {
    const trainer = new ToySerialTrainer({ valuesLength: 5, reuseResultBuffers: true });
    await trainer.localProcess(payload, [1, 2, 3]);
    const first = trainer.uplinkPackage().map((u) => u.values.buffer);
    assert.equal(new Set(first).size, 3, "one call's results share no memory");
    for (const cids of [[4, 5, 6], [7]]) {
      await trainer.localProcess(payload, cids);
      const ups = trainer.uplinkPackage();
      for (const up of ups) {
        assert.ok(first.includes(up.values.buffer), "recycled, not allocated");
        assert.deepEqual(Array.from(up.values), Array.from(expectedToy(payload, up.cid).values));
      }
      assert.equal(new Set(ups.map((u) => u.values.buffer)).size, ups.length);
    }
  });

  it("rejects bad input with OptionsErrors", async () => {
    assert.throws(
      () => new ToySerialTrainer({ device: "gpu" }),
      (error: unknown) => error instanceof OptionsError && error.option === "device",
    );
    assert.throws(
      () => new ToySerialTrainer({ reuseResultBuffers: "yes" as never }),
      (error: unknown) => error instanceof OptionsError && error.option === "reuseResultBuffers",
    );
    assert.throws(
      () => new ToySerialTrainer({ deviceCount: -1 }),
      (error: unknown) => error instanceof OptionsError && error.option === "deviceCount",
    );
    const trainer = new ToySerialTrainer();
    await assert.rejects(trainer.localProcess(payload, [2, 2]), (error: unknown) => {
      assert.ok(error instanceof OptionsError);
      assert.equal(error.option, "cidList[1]");
      return true;
    });
    await assert.rejects(
      new NoWorkerSerialTrainer().localProcess(undefined, [1]),
      (error: unknown) => {
        assert.ok(error instanceof OptionsError);
        assert.equal(error.option, "worker");
        return true;
      },
    );
  });
});
