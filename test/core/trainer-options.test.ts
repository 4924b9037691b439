import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { BufferArena } from "../../src/core/pool/buffer-arena.js";
import {
  deserializeError,
  parseWorkerMessage,
  serializeError,
} from "../../src/core/pool/protocol.js";
import { FileStopEvent, openControlFile, WorkerStopEvent } from "../../src/core/pool/stop-flags.js";
import {
  assertDevice,
  clientDevice,
  resolvePoolOptions,
} from "../../src/core/pool/trainer-options.js";
import { entryUrl, tsxApiUrl } from "../../src/core/pool/worker-module.js";
import { scratchDir } from "./pool-helpers.js";

describe("devices", () => {
  it("accepts cpu, the named CPU engines, cuda and cuda:N", () => {
    for (const device of [
      "cpu",
      "cpu-reference",
      "cpu-native",
      "cpu-wasm",
      "cuda",
      "cuda:0",
      "cuda:3",
      "cuda:10",
    ])
      assert.doesNotThrow(() => assertDevice("device", device));
  });

  it("rejects anything else, naming the option and what was expected", () => {
    for (const device of [
      "",
      "gpu",
      "CPU",
      "cuda:",
      "cuda:-1",
      "cuda:01",
      "cuda:1.5",
      "cuda0",
      " cpu",
      0,
      null,
    ]) {
      assert.throws(
        () => assertDevice("device", device),
        (error: unknown) =>
          error instanceof OptionsError &&
          error.option === "device" &&
          /"cpu".*"cuda" or "cuda:N"/.test(error.message),
        String(device),
      );
    }
  });

  it("maps cuda round-robin over deviceCount, and leaves other devices alone", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((cid) => clientDevice("cuda", 2, cid)),
      ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"],
    );
    assert.equal(clientDevice("cuda", 1, 9), "cuda:0");
    assert.equal(clientDevice("cuda:2", 4, 9), "cuda:2");
    assert.equal(clientDevice("cpu", 4, 9), "cpu");
  });
});

describe("resolvePoolOptions", () => {
  it("fills the defaults", () => {
    const resolved = resolvePoolOptions({ numParallels: 3, workerModule: import.meta.url });
    assert.equal(resolved.device, "cpu");
    assert.equal(resolved.deviceCount, 1);
    assert.equal(resolved.maxRetries, 1);
    assert.equal(resolved.reuseResultBuffers, false);
    assert.equal(resolved.clientTimeoutMs, undefined, "no timeout unless asked");
    assert.equal(resolved.onStall, undefined);
    assert.equal(resolved.stallFactor, 30);
    assert.equal(resolved.minStallMs, 10_000);
    assert.equal(
      resolvePoolOptions({ numParallels: 1, workerModule: import.meta.url, clientTimeout: 2.5 })
        .clientTimeoutMs,
      2500,
    );
    assert.equal(resolved.workerModule, import.meta.url);
    assert.equal(
      resolvePoolOptions({ numParallels: 1, workerModule: new URL(import.meta.url) }).workerModule,
      import.meta.url,
    );
  });

  it("rejects a missing options object and a missing workerModule", () => {
    assert.throws(() => resolvePoolOptions(undefined as never), OptionsError);
    assert.throws(
      () => resolvePoolOptions({ numParallels: 1 } as never),
      (error: unknown) => error instanceof OptionsError && error.option === "workerModule",
    );
  });
});

describe("worker plumbing", () => {
  it("picks the entry with this module's extension", () => {
    assert.match(entryUrl().pathname, /\/pool\/worker-entry\.ts$/);
  });

  it("finds tsx's API when the parent runs under tsx, and nothing otherwise", () => {
    assert.equal(tsxApiUrl(["--max-old-space-size=100"]), undefined);
    assert.match(tsxApiUrl(["--import", "tsx"]) ?? "", /tsx\/dist\/esm\/api\/index\.mjs$/);
    assert.equal(
      tsxApiUrl([
        "--require",
        "/x/node_modules/tsx/dist/preflight.cjs",
        "--import",
        "file:///x/node_modules/tsx/dist/loader.mjs",
      ]),
      "file:///x/node_modules/tsx/dist/esm/api/index.mjs",
    );
  });

  it("carries errors across with name, message and stack, and parses only valid messages", () => {
    const original = new RangeError("bad");
    const back = deserializeError(serializeError(original));
    assert.equal(back.name, "RangeError");
    assert.equal(back.message, "bad");
    assert.equal(back.stack, original.stack);
    assert.match(
      serializeError("plain string").message,
      /non-Error value was thrown: plain string/,
    );
    assert.equal(parseWorkerMessage({ type: "result" }), undefined);
    assert.equal(parseWorkerMessage(null), undefined);
    assert.deepEqual(parseWorkerMessage({ type: "ready", pid: 1, threadId: 0 }), {
      type: "ready",
      pid: 1,
      threadId: 0,
    });
  });

  it("shares the stop flag and the cancelled generation through a file", () => {
    const scratch = scratchDir();
    try {
      const event = new FileStopEvent();
      event.set();
      assert.ok(event.isSet(), "works in memory before the pool starts");
      event.attach(scratch.file("control.bin"));
      assert.ok(event.isSet(), "the state moves into the file");
      event.clear();
      // What a worker process does: it opens the same file.
      const words = openControlFile(scratch.file("control.bin"));
      const job3 = new WorkerStopEvent(words, 3);
      const job4 = new WorkerStopEvent(words, 4);
      assert.ok(!job3.isSet());
      event.cancelGeneration(3);
      assert.ok(job3.isSet(), "a cancelled call's jobs see the flag");
      assert.ok(!job4.isSet(), "the next call's do not");
      event.set();
      assert.ok(job4.isSet());
      job4.clear();
      assert.ok(!event.isSet(), "a worker's clear() reaches the parent");
      event.set();
      const quiet = { read: () => [0, 0] as const, write: () => {} };
      assert.ok(new WorkerStopEvent(quiet, 5, () => true).isSet(), "a dead parent stops");
      let heard = 0;
      const off = event.onSet(() => heard++);
      event.set();
      off();
      event.set();
      assert.equal(heard, 1);
      event.close();
      assert.ok(event.isSet(), "the state survives closing");
    } finally {
      scratch.dispose();
    }
  });

  it("recycles result buffers only when asked, and only after a new call starts", () => {
    const fresh = new BufferArena((n) => new ArrayBuffer(n), false);
    const a = fresh.acquire(8);
    fresh.keep(a.buffer);
    fresh.recycle();
    assert.notEqual(fresh.acquire(8).buffer, a.buffer);
    const arena = new BufferArena((n) => new ArrayBuffer(n), true);
    const first = arena.acquire(16);
    assert.equal(first.recycled, false);
    arena.keep(first.buffer);
    assert.notEqual(arena.acquire(16).buffer, first.buffer, "not before the next call");
    arena.recycle();
    assert.notEqual(arena.acquire(32).buffer, first.buffer, "too small");
    const again = arena.acquire(8);
    assert.equal(again.buffer, first.buffer);
    assert.equal(again.recycled, true);
  });
});
