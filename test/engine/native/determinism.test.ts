/**
 * Bit-identical training results from the native engine in the main thread, in a worker thread
 * and in a child process (each loads its own tfjs and shares or reloads the addon).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { trainDigest } from "../../fixtures/engine-native/train-digest.js";
import { requireNativeAddon } from "./helpers.js";

const fixture = new URL("../../fixtures/engine-native/train-digest.ts", import.meta.url);

/** Runs the fixture in a worker thread (TypeScript through tsx's API). */
function digestInWorker(): Promise<{ digest: string; kernelImpl: string }> {
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `(async () => {
    const { register } = await import(${JSON.stringify(tsx)});
    register();
    await import(${JSON.stringify(fixture.href)});
  })().catch((error) => { console.error(error); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true });
    worker.once("message", (message: { digest: string; kernelImpl: string }) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

before(() => requireNativeAddon());

test("same digest in the main thread (twice), two concurrent worker threads and a child process", async () => {
  const main = await trainDigest();
  const again = await trainDigest();
  assert.equal(again.digest, main.digest, "two runs in one thread differ");
  // Two workers train at the same time: per-thread scratch must keep them apart.
  const child = new Promise<{ status: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const proc = spawn(process.execPath, ["--import", "tsx", fileURLToPath(fixture)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      proc.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
      });
      proc.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      proc.on("close", (status) => resolve({ status, stdout, stderr }));
    },
  );
  const workers = await Promise.all([digestInWorker(), digestInWorker()]);
  for (const worker of workers) {
    assert.equal(worker.kernelImpl, main.kernelImpl);
    assert.equal(worker.digest, main.digest, "a worker thread differs from the main thread");
  }
  const result = await child;
  assert.equal(result.status, 0, result.stderr);
  const line = result.stdout.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line !== undefined, `no digest from the child process: ${result.stdout}`);
  const fromChild = JSON.parse(line) as { digest: string; kernelImpl: string };
  assert.equal(fromChild.digest, main.digest, "the child process differs from the main thread");
});
