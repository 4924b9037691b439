import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commitResult } from "../../../src/core/pool/client-run.js";
import { reconstructSharedMemory, replaceWithHandles } from "../../../src/core/shared-memory.js";

/** Plans `result` against `template`'s layout, as a worker does, and commits it into `region`. */
function roundTrip<T>(
  result: T,
  template: object,
  region: ArrayBuffer,
): { value: T; region: ArrayBuffer | undefined } {
  const layout = replaceWithHandles(template);
  const plan = replaceWithHandles(result, {
    template: layout.receipt,
    overflowOffset: 64,
    rootName: "result",
  });
  const target = commitResult(plan, region, (n) => new ArrayBuffer(n));
  return { value: reconstructSharedMemory<T>(plan.receipt, [target]), region: target };
}

describe("commitResult", () => {
  it("keeps arrays already in the shared buffer, copies foreign ones, and checks sizes", () => {
    const region = new ArrayBuffer(8);
    const shm = reconstructSharedMemory<{ v: Float32Array }>(
      replaceWithHandles({ v: new Float32Array(2) }).receipt,
      [region],
    );
    shm.v.set([1, 2]);
    const same = roundTrip({ v: shm.v }, { v: new Float32Array(2) }, region);
    assert.equal(same.region, region, "written in place: no new region");
    assert.deepEqual(Array.from(same.value.v), [1, 2]);
    const foreign = new Float32Array([3, 4]);
    const copied = roundTrip(
      { v: foreign, extra: new Uint8Array([5]) },
      { v: new Float32Array(2) },
      region,
    );
    assert.notEqual(copied.region, region, "an array beyond the layout needs a larger region");
    assert.notEqual(copied.value.v.buffer, foreign.buffer);
    assert.deepEqual(Array.from(copied.value.v), [3, 4]);
    assert.deepEqual(Array.from(copied.value.extra), [5]);
    assert.throws(
      () => roundTrip({ v: new Float32Array(3) }, { v: new Float32Array(2) }, region),
      /result\.v is a Float32Array\(3\) but the preallocated buffer holds a Float32Array\(2\)/,
    );
    assert.equal(
      commitResult(replaceWithHandles({ n: 1 }), region, () => region),
      undefined,
      "no arrays, no region",
    );
  });
});
