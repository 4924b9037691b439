import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError, SharedMemoryError } from "../../src/core/errors.js";
import {
  isInPlace,
  moveToSharedMemory,
  reconstructSharedMemory,
  replaceWithHandles,
  SHM_HANDLE_TAG,
  SHMHandle,
  typedArrayName,
  writePlacements,
} from "../../src/core/shared-memory.js";

function nested(depth: number): unknown {
  let node: unknown = new Float32Array([depth]);
  for (let i = 0; i < depth; i++) node = { child: node };
  return node;
}

describe("typedArrayName", () => {
  it("names every typed array and nothing else", () => {
    assert.equal(typedArrayName(new Float32Array(1)), "Float32Array");
    assert.equal(typedArrayName(new BigInt64Array(1)), "BigInt64Array");
    assert.equal(typedArrayName(Buffer.from("x")), "Uint8Array");
    assert.equal(typedArrayName(new DataView(new ArrayBuffer(4))), undefined);
    assert.equal(typedArrayName(new ArrayBuffer(4)), undefined);
    assert.equal(typedArrayName([1, 2]), undefined);
  });
});

describe("replaceWithHandles (replace)", () => {
  it("replaces arrays by handles and keeps everything else", () => {
    const pkg = {
      name: "w",
      round: 3,
      params: new Float32Array([1, 2, 3]),
      ids: new Int32Array([7]),
    };
    const plan = replaceWithHandles(pkg);
    const receipt = plan.receipt as unknown as Record<string, unknown>;
    assert.equal(receipt.name, "w");
    assert.equal(receipt.round, 3);
    assert.ok(SHMHandle.isHandle(receipt.params));
    assert.ok(SHMHandle.isHandle(receipt.ids));
    assert.equal(plan.placements.length, 2);
    assert.equal(plan.placements[0]?.array, pkg.params);
    // aligned placement: ids start on a 64-byte boundary after params
    assert.equal(plan.placements[1]?.handle.byteOffset, 64);
    assert.deepEqual(plan.regionByteLengths, [68]);
    // a receipt is small plain data: it survives structured cloning as a handle
    const cloned = structuredClone(plan.receipt) as unknown as Record<string, unknown>;
    assert.ok(SHMHandle.isHandle(cloned.params));
    assert.equal((cloned.params as SHMHandle).tag, SHM_HANDLE_TAG);
  });

  it("maps one array referenced twice to one handle", () => {
    const shared = new Float64Array([1, 2]);
    const plan = replaceWithHandles({ a: shared, b: [shared] });
    assert.equal(plan.placements.length, 1);
    const receipt = plan.receipt as unknown as { a: unknown; b: unknown[] };
    assert.equal(receipt.a, receipt.b[0]);
  });

  it("checks arrays against a template and places them where it says", () => {
    const template = replaceWithHandles({ params: new Float32Array(4), extra: 0 }).receipt;
    const ok = replaceWithHandles(
      { params: new Float32Array(4), extra: 5, more: new Uint8Array(3) },
      { template, overflowOffset: 64 },
    );
    assert.equal(ok.placements[0]?.handle.byteOffset, 0);
    assert.equal(ok.placements[1]?.handle.byteOffset, 64, "an array the template lacks overflows");
    assert.throws(
      () => replaceWithHandles({ params: new Float32Array(5) }, { template, rootName: "result" }),
      (error: unknown) =>
        error instanceof SharedMemoryError &&
        /result\.params is a Float32Array\(5\) but the preallocated buffer holds a Float32Array\(4\)/.test(
          error.message,
        ),
    );
    assert.throws(
      () => replaceWithHandles({ params: new Float64Array(4) }, { template }),
      SharedMemoryError,
    );
  });

  it("rejects bad options", () => {
    assert.throws(() => replaceWithHandles({}, { maxDepth: -1 }), OptionsError);
    assert.throws(() => replaceWithHandles({}, { overflowOffset: 1.5 }), OptionsError);
  });
});

describe("reconstructSharedMemory (reconstruct)", () => {
  it("rebuilds nested objects, arrays, Maps and Sets as views of the region", () => {
    const pkg = {
      text: "hello",
      layers: [new Float32Array([1, 2]), { bias: new Float64Array([0.5]) }],
      byName: new Map<string, unknown>([
        ["a", new Int16Array([-3, 4])],
        ["b", { deep: new BigInt64Array([9n]) }],
      ]),
      tags: new Set([new Uint8Array([1, 2, 3]), "plain"]),
      when: new Date(0),
    };
    const plan = replaceWithHandles(pkg);
    const region = new SharedArrayBuffer(plan.regionByteLengths[0] ?? 0);
    writePlacements(plan.placements, [region]);
    const back = reconstructSharedMemory<typeof pkg>(structuredClone(plan.receipt), [region]);
    assert.equal(back.text, "hello");
    assert.deepEqual(Array.from(back.layers[0] as Float32Array), [1, 2]);
    assert.deepEqual(Array.from((back.layers[1] as { bias: Float64Array }).bias), [0.5]);
    assert.deepEqual(Array.from(back.byName.get("a") as Int16Array), [-3, 4]);
    assert.deepEqual(Array.from((back.byName.get("b") as { deep: BigInt64Array }).deep), [9n]);
    const setItems = [...back.tags];
    assert.deepEqual(Array.from(setItems[0] as Uint8Array), [1, 2, 3]);
    assert.equal(setItems[1], "plain");
    assert.ok((back.layers[0] as Float32Array).buffer === region, "views, not copies");
    assert.equal(back.when.getTime(), 0);
  });

  it("copies out of the region when asked", () => {
    const plan = replaceWithHandles({ v: new Float32Array([4, 5]) });
    const region = new ArrayBuffer(plan.regionByteLengths[0] ?? 0);
    writePlacements(plan.placements, [region]);
    const copy = reconstructSharedMemory<{ v: Float32Array }>(plan.receipt, [region], {
      copy: true,
    });
    new Float32Array(region).fill(0);
    assert.deepEqual(Array.from(copy.v), [4, 5]);
  });

  it("refuses handles that do not fit their region", () => {
    const handle = new SHMHandle("Float32Array", 0, 0, 10);
    assert.throws(
      () => reconstructSharedMemory({ v: handle }, [new ArrayBuffer(8)], { rootName: "result" }),
      (error: unknown) => error instanceof SharedMemoryError && /result\.v/.test(error.message),
    );
    assert.throws(
      () =>
        reconstructSharedMemory({ v: new SHMHandle("Float32Array", 1, 0, 1) }, [
          new ArrayBuffer(8),
        ]),
      SharedMemoryError,
    );
    assert.throws(
      () =>
        reconstructSharedMemory({ v: new SHMHandle("Float64Array", 0, 4, 1) }, [
          new ArrayBuffer(16),
        ]),
      /not a multiple/,
    );
    assert.throws(
      () =>
        reconstructSharedMemory({ v: { ...handle, type: "Float16Array" } }, [new ArrayBuffer(64)]),
      SharedMemoryError,
    );
  });
});

describe("cycles and the depth limit", () => {
  it("reproduces cycles and shared objects without following them", () => {
    type Node = { name: string; values: Float32Array; self?: Node; peers: Node[] };
    const a: Node = { name: "a", values: new Float32Array([1]), peers: [] };
    const b: Node = { name: "b", values: new Float32Array([2]), peers: [a] };
    a.self = a;
    a.peers.push(b);
    const moved = moveToSharedMemory(a);
    const back = moved.value;
    assert.equal(back.self, back);
    assert.equal(back.peers[0]?.peers[0], back);
    assert.deepEqual(Array.from(back.peers[0]?.values ?? []), [2]);
    const map = new Map<string, unknown>();
    map.set("me", map);
    const movedMap = moveToSharedMemory({ map }).value;
    assert.equal(movedMap.map.get("me"), movedMap.map);
  });

  it("refuses packages nested deeper than maxDepth, naming the path", () => {
    assert.doesNotThrow(() => replaceWithHandles(nested(33)));
    assert.throws(
      () => replaceWithHandles(nested(40), { rootName: "pkg" }),
      (error: unknown) =>
        error instanceof SharedMemoryError &&
        /pkg(\.child)+ is nested deeper than maxDepth \(32\)/.test(error.message),
    );
    // nested(3) has containers at depths 0, 1 and 2 (the root is depth 0)
    assert.throws(() => replaceWithHandles(nested(3), { maxDepth: 1 }), SharedMemoryError);
    assert.doesNotThrow(() => replaceWithHandles(nested(3), { maxDepth: 2 }));
    assert.throws(() => reconstructSharedMemory(nested(3), [], { maxDepth: 1 }), SharedMemoryError);
  });
});

describe("moveToSharedMemory (move)", () => {
  it("copies every array into one SharedArrayBuffer and leaves the input alone", () => {
    const input = { params: new Float32Array([1, 2, 3]), meta: { ids: new Uint32Array([5, 6]) } };
    const moved = moveToSharedMemory(input);
    assert.ok(moved.value.params.buffer instanceof SharedArrayBuffer);
    assert.equal(moved.value.params.buffer, moved.value.meta.ids.buffer);
    assert.notEqual(moved.value.params, input.params);
    moved.value.params[0] = 42;
    assert.equal(input.params[0], 1);
    assert.deepEqual(Array.from(moved.value.meta.ids), [5, 6]);
    const again = reconstructSharedMemory<typeof input>(moved.receipt, [moved.buffer]);
    assert.equal(again.params[0], 42, "the receipt points at the same memory");
  });

  it("skips copies of arrays that already are in place", () => {
    const moved = moveToSharedMemory({ v: new Float32Array([1, 2]) });
    const plan = replaceWithHandles(moved.value);
    assert.ok(isInPlace(moved.value.v, plan.placements[0]?.handle as SHMHandle, moved.buffer));
    assert.throws(() => writePlacements(plan.placements, []), SharedMemoryError);
    assert.throws(() => writePlacements(plan.placements, [new ArrayBuffer(4)]), /does not fit/);
  });
});
