import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type KitClientConfig, runKitClient } from "../../src/kit/client-runner.js";
import { probeCalls } from "../fixtures/kit/warmup-probe-algorithm.js";

const probeUrl = new URL("../fixtures/kit/warmup-probe-algorithm.ts", import.meta.url).href;
const neverStop = { isSet: () => false, set() {}, clear() {} };

function warmupConfig(
  seed: number,
  options: { fail?: boolean; untilStopped?: boolean } = {},
): KitClientConfig {
  return {
    algorithm: { moduleUrl: probeUrl, exportName: "default" },
    options,
    training: { seed, epochs: 1, batchSize: 32, lr: 0.01, momentum: 0, weightDecay: 0 },
    model: { kind: "zoo", name: "logreg" },
    dataset: {
      dataset: "synthetic",
      numClients: 6,
      partition: "natural",
      seed,
      synthetic: { alpha: 1, beta: 1 },
    },
    task: { kind: "warmup" },
  };
}

const warmUp = (config: KitClientConfig) =>
  runKitClient({
    cid: 0,
    config,
    payload: { round: 0, model: new Float32Array(0), vectors: {} },
    device: "cpu",
    stopEvent: neverStop,
    shmBuffer: undefined,
  });

describe("runKitClient warm-up", () => {
  it("runs the algorithm's own client part on throwaway clients and returns nothing", async () => {
    probeCalls().length = 0;
    const result = await warmUp(warmupConfig(7));
    assert.deepEqual(result, { cid: 0, weight: 0, steps: 0, metrics: {}, vectors: {} });
    const calls = probeCalls();
    assert.ok(calls.length >= 1, "the warm-up reached the client part");
    assert.deepEqual(
      calls.map((c) => c.cid),
      calls.map((_, i) => i),
      "clients 0, 1, … in order",
    );
    for (const call of calls) {
      // The worker's own model as the global one, zero downlink vectors and fresh zero state.
      assert.equal(call.round, 0);
      assert.ok(call.globalLength > 0);
      assert.equal(call.controlLength, call.globalLength);
      assert.equal(call.controlIsZero, true);
      assert.equal(call.stateLength, call.globalLength);
      assert.equal(call.hasState, false);
    }
  });

  it("ends early, without failing, when the client part throws on its inputs", async () => {
    probeCalls().length = 0;
    const result = await warmUp(warmupConfig(8, { fail: true }));
    assert.equal(result.weight, 0);
    assert.equal(probeCalls().length, 1);
  });

  it("stops a client still training at its deadline, as a stop event would", {
    timeout: 60_000,
  }, async () => {
    probeCalls().length = 0;
    // Without the deadline this client never ends, and neither would the warm-up.
    const result = await warmUp(warmupConfig(9, { untilStopped: true }));
    assert.equal(result.weight, 0);
    assert.equal(probeCalls().length, 1);
  });
});
