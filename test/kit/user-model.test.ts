import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { OptionsError } from "../../src/core/errors.js";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { runCli } from "../cli/cli-helpers.js";

const MODEL = fileURLToPath(new URL("../fixtures/models/user-model.ts", import.meta.url));
const quietIo = { progress: false } as const;

const small = (extra: Record<string, unknown>): Record<string, unknown> => ({
  dataset: "fashion-mnist",
  model: MODEL,
  clients: 100,
  sampleRatio: 0.03,
  rounds: 2,
  lr: 0.05,
  momentum: 0.5,
  seed: 9,
  quiet: true,
  ...extra,
});

describe("a user's tfjs model (--model ./module)", () => {
  it("trains the same model on serial, thread x2 and process x2, with FedAvg and FedProx", async () => {
    for (const algorithm of ["fedavg", "fedprox"]) {
      const serial = await runExperiment(small({ algorithm, trainer: "serial" }), quietIo);
      assert.ok(serial.testAccuracy > 0.1, `${algorithm}: accuracy ${serial.testAccuracy}`);
      for (const [trainer, parallels] of [
        ["thread", 2],
        ["process", 2],
      ] as const) {
        const pooled = await runExperiment(small({ algorithm, trainer, parallels }), quietIo);
        assert.equal(pooled.modelSha256, serial.modelSha256, `${algorithm} on ${trainer}`);
      }
    }
  });

  it("refuses a model whose output does not match the classes, naming --model", async () => {
    await assert.rejects(
      runExperiment(
        small({ model: { module: MODEL, export: "threeOutputs" }, trainer: "serial" }),
        quietIo,
      ),
      (e: unknown) => e instanceof OptionsError && e.option === "--model",
    );
  });

  it("exits 2 naming --model for a missing module or an unknown name", async () => {
    for (const model of ["./no/such/model.js", "resnet99"]) {
      const result = await runCli(["run", "--model", model, "--rounds", "1", "--quiet"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /`--model`/);
    }
  });
});
