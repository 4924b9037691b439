import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { scaffold } from "../../../src/contrib/scaffold/algorithm.js";
import { AbortError } from "../../../src/core/errors.js";
import { readCheckpoint } from "../../../src/kit/checkpoint.js";
import { runExperiment } from "../../../src/kit/run-experiment.js";

const quietIo = { progress: false } as const;

/** 20 synthetic clients, 5 a round for 4 rounds: most clients train twice, so state matters. */
function small(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    algorithm: "scaffold",
    dataset: "synthetic",
    clients: 20,
    sampleRatio: 0.25,
    rounds: 4,
    batchSize: 10,
    lr: 0.05,
    seed: 11,
    quiet: true,
    ...extra,
  };
}

describe("SCAFFOLD (option II)", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-scaffold-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let reference = "";

  it("folds Δy and Δc as the paper says: x += η_g mean Δy, c += Σ Δc / N", () => {
    const server = scaffold.server({
      initialModel: new Float32Array([1, 2]),
      numClients: 4,
      clientsPerRound: 2,
      options: { serverLr: 0.5 },
      training: { seed: 0, epochs: 1, batchSize: 1, lr: 0.1, momentum: 0, weightDecay: 0 },
      seed: 0,
    });
    assert.deepEqual([...(server.downlink?.(0).control ?? [])], [0, 0]);
    const update = (delta: number[], controlDelta: number[]) => ({
      cid: 0,
      weight: 1,
      steps: 1,
      metrics: {},
      vectors: { delta: new Float32Array(delta), controlDelta: new Float32Array(controlDelta) },
    });
    server.fold(update([1, -2], [4, 8]));
    server.fold(update([3, 2], [-4, 4]));
    server.finish(0);
    assert.deepEqual([...server.model], [1 + 0.5 * 2, 2 + 0.5 * 0]);
    assert.deepEqual([...(server.downlink?.(1).control ?? [])], [0 / 4, 12 / 4]);
    const saved = server.captureState();
    server.fold(update([10, 10], [10, 10]));
    server.finish(1);
    server.restoreState(saved, new Float32Array([2, 2]));
    assert.deepEqual([...server.model], [2, 2]);
    assert.deepEqual([...(server.downlink?.(2).control ?? [])], [0, 3]);
  });

  it("keeps each client's control variate in the state store, and checkpoints its table", async () => {
    const out = join(dir, "serial");
    const summary = await runExperiment(small({ trainer: "serial", out }), quietIo);
    reference = summary.modelSha256;
    const checkpoint = readCheckpoint(out);
    assert.ok(existsSync(join(out, "checkpoint", "client-state.bin")));
    const slots = checkpoint?.header.clientState?.slots ?? [];
    assert.ok(slots.length > 5 && slots.length <= 20, `${slots.length} clients hold state`);
    assert.ok(checkpoint?.vectors.control !== undefined, "the server's c is checkpointed");
  });

  for (const [trainer, parallels] of [
    ["thread", 1],
    ["thread", 2],
    ["thread", 4],
    ["process", 1],
    ["process", 2],
    ["process", 4],
  ] as const)
    it(`gives the serial model bit for bit with --trainer ${trainer} --parallels ${parallels}`, async () => {
      const summary = await runExperiment(small({ trainer, parallels }), quietIo);
      assert.equal(summary.modelSha256, reference);
    });

  it("differs from FedAvg (the state and the corrections are used)", async () => {
    const fedavg = await runExperiment(small({ algorithm: "fedavg", trainer: "serial" }), quietIo);
    assert.notEqual(fedavg.modelSha256, reference);
  });

  it("resumes exactly after an interrupt mid-run, on another trainer kind", async () => {
    const out = join(dir, "interrupted");
    const controller = new AbortController();
    await assert.rejects(
      runExperiment(small({ trainer: "process", parallels: 2, out }), {
        ...quietIo,
        signal: controller.signal,
        onRound: (m) => {
          if (m.round === 2) controller.abort();
        },
      }),
      AbortError,
    );
    assert.equal(readCheckpoint(out)?.header.round, 2);
    const resumed = await runExperiment(
      small({ trainer: "thread", parallels: 2, out, resume: true }),
      quietIo,
    );
    assert.equal(resumed.rounds, 4);
    assert.equal(resumed.modelSha256, reference);
  });
});
