// Inputs a run must get right: the text dataset end to end, clients without data, and option
// values that must be refused rather than coerced.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { resolveRunOptions } from "../../src/kit/experiment-options.js";
import { ModelAverageServer } from "../../src/kit/model-average-server.js";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { createRng } from "../../src/reproducibility/rng.js";

const quietIo = { progress: false } as const;

describe("run inputs", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-run-inputs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("trains char-lstm on --dataset text (one client per file), the same model serially and in threads", async () => {
    const corpus = join(dir, "corpus");
    mkdirSync(corpus);
    const rng = createRng(3);
    const words = ["the", "king", "speaks", "and", "queen", "answers", "now", "here"];
    // Long enough that each file's last 20 % (its test split) holds whole 80-character windows.
    for (let f = 0; f < 2; f++) {
      const text = Array.from({ length: 110 }, () => words[rng.int(0, words.length - 1)]).join(" ");
      writeFileSync(join(corpus, `part-${f}.txt`), `${text}.\n`);
    }
    const options = {
      dataset: "text",
      dataDir: corpus,
      clients: 2,
      sampleRatio: 1,
      rounds: 1,
      batchSize: 200,
      lr: 0.5,
      quiet: true,
    };
    const serial = await runExperiment({ ...options, trainer: "serial" }, quietIo);
    assert.ok(Number.isFinite(serial.testLoss), `test loss ${serial.testLoss}`);
    const threads = await runExperiment({ ...options, trainer: "thread", parallels: 2 }, quietIo);
    assert.equal(threads.modelSha256, serial.modelSha256);
  });

  it("lets clients without data contribute nothing: weight 0 is skipped, an all-empty round keeps the model", () => {
    const server = new ModelAverageServer(new Float32Array([1, 1]));
    const update = (weight: number, model: number[]) => ({
      cid: 0,
      weight,
      steps: weight > 0 ? 1 : 0,
      metrics: {},
      vectors: { model: new Float32Array(model) },
    });
    server.fold(update(0, [100, 100]));
    server.finish(0);
    assert.deepEqual([...server.model], [1, 1]);
    server.fold(update(3, [4, 7]));
    server.fold(update(0, [100, 100]));
    server.finish(1);
    assert.deepEqual([...server.model], [4, 7]);
  });

  it("runs the issue's case: --partition pathological:10 with 60,000 Fashion-MNIST clients, some empty", async () => {
    const out = join(dir, "empty");
    const summary = await runExperiment(
      {
        dataset: "fashion-mnist",
        partition: "pathological:10",
        clients: 60_000,
        sampleRatio: 0.0005,
        rounds: 1,
        trainer: "serial",
        out,
        quiet: true,
      },
      quietIo,
    );
    const line = JSON.parse(readFileSync(join(out, "metrics.jsonl"), "utf8").trim()) as {
      clients: number[];
    };
    assert.equal(line.clients.length, 30);
    assert.ok(Number.isFinite(summary.testAccuracy));
  });

  it("refuses option values that are not what the option documents, naming it", () => {
    for (const [key, value] of [
      ["seed", ""],
      ["seed", null],
      ["seed", false],
      ["seed", []],
      ["sampleRatio", true],
      ["epochs", true],
      ["clients", [50]],
      ["lr", "0x10"],
      ["clients", 1e10],
    ] as const)
      assert.throws(
        () => resolveRunOptions({ [key]: value }),
        (e: unknown) =>
          e instanceof OptionsError &&
          e.option.includes(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)),
        `${key}: ${JSON.stringify(value)}`,
      );
  });
});
