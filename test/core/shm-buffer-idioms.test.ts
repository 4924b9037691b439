/**
 * Both ways a worker may hand back arrays through its shared buffer, for every trainer kind:
 * return the buffer's own arrays (this library's idiom), or write the buffer and return the
 * field as `new SHMHandle()` / `IN_SHM_BUFFER` (BlazeFL's idiom). Also: errors raised while the
 * parent accepts a result reject the call, and the trainer stays usable.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SharedMemoryError } from "../../src/core/errors.js";
import { reconstructSharedMemory, SHMHandle } from "../../src/core/shared-memory.js";
import {
  expectedToy,
  type ToyModes,
  ToyProcessTrainer,
  ToySerialTrainer,
  ToyThreadTrainer,
  type ToyUp,
} from "../fixtures/core/toy-trainers.js";
import { toyPayload } from "./pool-helpers.js";

type AnyToy = ToySerialTrainer | ToyThreadTrainer | ToyProcessTrainer;

const kinds: [string, (valuesLength: number | undefined) => AnyToy][] = [
  ["serial", (valuesLength) => new ToySerialTrainer(opt(valuesLength))],
  ["thread", (valuesLength) => new ToyThreadTrainer({ numParallels: 2, ...opt(valuesLength) })],
  ["process", (valuesLength) => new ToyProcessTrainer({ numParallels: 2, ...opt(valuesLength) })],
];

function opt(valuesLength: number | undefined): { valuesLength?: number } {
  return valuesLength !== undefined ? { valuesLength } : {};
}

function modes(cids: readonly number[], mode: "shm-marker" | "shm-marker-assign"): ToyModes {
  return Object.fromEntries(cids.map((cid) => [cid, { mode }]));
}

const payload = toyPayload();
const cids = [4, 0, 2];

for (const [name, make] of kinds) {
  describe(`${name} trainer: results through shmBuffer`, { timeout: 120_000 }, () => {
    const trainer = make(payload.values.length);
    const bare = make(undefined);
    after(async () => {
      for (const t of [trainer, bare]) if ("shutdown" in t) await t.shutdown();
    });

    it("takes a field returned as new SHMHandle() or IN_SHM_BUFFER from the client's shmBuffer", async () => {
      for (const mode of ["shm-marker", "shm-marker-assign"] as const) {
        trainer.modes = modes(cids, mode);
        await trainer.localProcess(payload, cids);
        const ups = trainer.uplinkPackage();
        assert.deepEqual(
          ups.map((u) => u.cid),
          cids,
        );
        for (const up of ups) {
          assert.ok(up.values instanceof Float32Array, `${mode}: a Float32Array, not a marker`);
          assert.deepEqual([...up.values], [...expectedToy(payload, up.cid).values], mode);
        }
      }
      trainer.modes = {};
    });

    it("still takes the buffer's own arrays returned as they are", async () => {
      await trainer.localProcess(payload, cids);
      for (const up of trainer.uplinkPackage())
        assert.deepEqual([...up.values], [...expectedToy(payload, up.cid).values]);
    });

    it("rejects a marker when the trainer lays out no shmBuffer, saying what to override", async () => {
      bare.modes = modes([1], "shm-marker");
      await assert.rejects(bare.localProcess(payload, [1]), (error: unknown) => {
        assert.ok(error instanceof SharedMemoryError, String(error));
        assert.match(error.message, /result\.values is an SHMHandle marker/);
        assert.match(error.message, /prepareUplinkPackageBuffer/);
        return true;
      });
      bare.modes = {};
      await bare.localProcess(payload, [1]);
      assert.equal(bare.uplinkPackage().length, 1, "usable afterwards");
    });

    it("rejects the call when converting a result in the parent throws, and stays usable", async () => {
      trainer.convertBufferToUplink = (up: ToyUp) => {
        if (up.cid === 2) throw new RangeError("cannot convert client 2");
        return up;
      };
      try {
        await assert.rejects(trainer.localProcess(payload, cids), /cannot convert client 2/);
      } finally {
        delete (trainer as { convertBufferToUplink?: unknown }).convertBufferToUplink;
      }
      assert.deepEqual(trainer.cache, []);
      await trainer.localProcess(payload, cids);
      assert.equal(trainer.uplinkPackage().length, cids.length);
    });
  });
}

for (const [name, make] of kinds.slice(1)) {
  describe(`${name} pool: a receipt the parent cannot accept`, { timeout: 120_000 }, () => {
    it("rejects localProcess with a SharedMemoryError naming the client, and stays usable", async () => {
      const trainer = make(payload.values.length) as ToyThreadTrainer | ToyProcessTrainer;
      try {
        trainer.modes = { 2: { mode: "forged-handle" } };
        await assert.rejects(trainer.localProcess(payload, cids), (error: unknown) => {
          assert.ok(error instanceof SharedMemoryError, String(error));
          assert.match(error.message, /result\.values: a Float32Array\(4\) at byte 1048576/);
          return true;
        });
        trainer.modes = {};
        await trainer.localProcess(payload, cids);
        assert.equal(trainer.uplinkPackage().length, cids.length);
      } finally {
        await trainer.shutdown();
      }
    });
  });
}

describe("SHMHandle markers outside a worker's result", () => {
  it("are refused when a receipt is reconstructed", () => {
    assert.ok(SHMHandle.isMarker(new SHMHandle()));
    assert.ok(!SHMHandle.isHandle(new SHMHandle()));
    assert.ok(SHMHandle.isHandle(new SHMHandle("Float32Array", 0, 0, 1)));
    assert.ok(SHMHandle.isMarker(structuredClone(new SHMHandle())), "survives cloning");
    assert.throws(
      () => reconstructSharedMemory({ values: new SHMHandle() }, [new ArrayBuffer(8)]),
      (error: unknown) =>
        error instanceof SharedMemoryError &&
        /package\.values is an SHMHandle marker/.test(error.message),
    );
  });
});
