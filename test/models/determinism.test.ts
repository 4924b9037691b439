import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { trainFixture } from "../fixtures/engine/train-fixture.js";

const fixtures = new URL("../fixtures/engine/", import.meta.url);

// Loaders given with --import do not reach worker threads: register tsx there first.
const THREAD_BOOT = `
const { workerData } = require("node:worker_threads");
(async () => {
  const api = await import(workerData.tsxApi);
  (api.register ?? api.default.register)();
  await import(workerData.entry);
})().catch((error) => setImmediate(() => { throw error; }));
`;

async function inWorkerThread(device: string): Promise<Float32Array> {
  const worker = new Worker(THREAD_BOOT, {
    eval: true,
    workerData: {
      device,
      tsxApi: import.meta.resolve("tsx/esm/api"),
      entry: new URL("train-worker.ts", fixtures).href,
    },
  });
  const [message] = (await once(worker, "message")) as [Float32Array];
  await worker.terminate();
  return message;
}

async function inChildProcess(device: string): Promise<Float32Array> {
  const child = fork(new URL("train-child.ts", fixtures), [device], {
    serialization: "advanced",
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const [message] = (await once(child, "message")) as [Float32Array];
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  return message;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

describe("determinism", () => {
  it("gives bit-identical weights in the main thread, a worker thread and a child process", async () => {
    const main = await trainFixture("cpu");
    assert.equal(main.length, 199_210 + 1 + 188_810 + 1);
    assert.ok(main.every(Number.isFinite));
    const again = await trainFixture("cpu");
    assert.ok(sameBits(main, again), "repeatable in one thread");
    const [thread, child] = await Promise.all([inWorkerThread("cpu"), inChildProcess("cpu")]);
    assert.ok(thread instanceof Float32Array && child instanceof Float32Array);
    assert.ok(sameBits(thread, main), "worker thread");
    assert.ok(sameBits(child, main), "child process");
  });
});
