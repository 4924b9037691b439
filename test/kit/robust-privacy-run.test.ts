/**
 * `--attack`, `--aggregator` and `--dp` through `runExperiment`, with real training on LEAF
 * Synthetic: bit-identical models for every trainer kind, an exact resume (model and ε sequence),
 * the privacy budget's stop, ε against an independent computation, and the files that list the
 * malicious clients.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { maliciousClients } from "../../src/contrib/attacks/malicious-clients.js";
import { computeEpsilon } from "../../src/contrib/privacy/rdp-accountant.js";
import { AbortError } from "../../src/core/errors.js";
import { readCheckpoint } from "../../src/kit/checkpoint.js";
import { CRYPTO_NOISE_NOTE } from "../../src/kit/robust-privacy-extension.js";
import { type RoundMetrics, runExperiment } from "../../src/kit/run-experiment.js";

const quietIo = { progress: false } as const;

function small(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset: "synthetic",
    clients: 20,
    sampleRatio: 0.5,
    rounds: 4,
    batchSize: 10,
    lr: 0.05,
    seed: 21,
    quiet: true,
    ...extra,
  };
}

function metricsOf(out: string): RoundMetrics[] {
  return readFileSync(join(out, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as RoundMetrics);
}

describe("robustness and privacy in runExperiment", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-robust-privacy-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const configs = {
    "sign-flip attackers against the median": { attack: "sign-flip:0.2:3", aggregator: "median" },
    "label-flip attackers under local DP": {
      attack: "label-flip:0.2",
      dp: "local",
      clip: 0.5,
      noiseMultiplier: 0.2,
    },
    "Gaussian attackers under client-side fixed clipping": {
      attack: "gaussian:0.2:0.1",
      dp: "fixed",
      dpClipping: "client",
      clip: 0.5,
      noiseMultiplier: 0.5,
    },
  };
  for (const [name, options] of Object.entries(configs))
    it(`${name}: the same sha256 for serial, thread x2 and process x2`, async () => {
      const out = join(dir, name.replace(/\W+/g, "-"));
      const serial = await runExperiment(small({ ...options, trainer: "serial", out }), quietIo);
      const clean = await runExperiment(small({ trainer: "serial" }), quietIo);
      assert.notEqual(serial.modelSha256, clean.modelSha256, "the options change the model");
      for (const trainer of ["thread", "process"]) {
        const summary = await runExperiment(small({ ...options, trainer, parallels: 2 }), quietIo);
        assert.equal(summary.modelSha256, serial.modelSha256, trainer);
      }
      const malicious = maliciousClients(21, 20, 0.2);
      const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as {
        maliciousClients: number[];
      };
      assert.deepEqual(config.maliciousClients, malicious);
      for (const m of metricsOf(out))
        assert.equal(
          m.maliciousClients,
          m.clients.filter((cid) => malicious.includes(cid)).length,
          `round ${m.round}`,
        );
    });

  it("resumes an adaptive-clipping run exactly: the same model, ε and clip sequences", async () => {
    const options = {
      attack: "sign-flip:0.2",
      dp: "adaptive",
      noiseMultiplier: 0.4,
      rounds: 5,
    };
    const full = join(dir, "adaptive-full");
    const reference = await runExperiment(
      small({ ...options, trainer: "serial", out: full }),
      quietIo,
    );
    const out = join(dir, "adaptive-interrupted");
    const controller = new AbortController();
    await assert.rejects(
      runExperiment(small({ ...options, trainer: "process", parallels: 2, out }), {
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
      small({ ...options, trainer: "thread", parallels: 2, out, resume: true }),
      quietIo,
    );
    assert.equal(resumed.rounds, 5);
    assert.equal(resumed.modelSha256, reference.modelSha256);
    assert.equal(resumed.epsilon, reference.epsilon);
    const pick = (ms: RoundMetrics[], key: string) => ms.map((m) => m[key]);
    assert.deepEqual(pick(metricsOf(out), "epsilon"), pick(metricsOf(full), "epsilon"));
    assert.deepEqual(pick(metricsOf(out), "clip"), pick(metricsOf(full), "clip"));
    assert.equal(new Set(pick(metricsOf(full), "clip")).size, 5, "the clip adapts every round");
  });

  it("reports after each round R the ε of computeEpsilon(σ, q = m/N, R), and stops before the target", async () => {
    const out = join(dir, "budget");
    const lines: string[] = [];
    const summary = await runExperiment(
      small({
        dp: "fixed",
        clip: 1,
        noiseMultiplier: 1.2,
        dpTargetEpsilon: 5,
        rounds: 50,
        trainer: "serial",
        out,
      }),
      { ...quietIo, stderr: (line) => lines.push(line) },
    );
    const epsilonAt = (steps: number) =>
      computeEpsilon({ noiseMultiplier: 1.2, sampleRate: 10 / 20, steps, delta: 1e-5 }).epsilon;
    const metrics = metricsOf(out);
    assert.ok(summary.rounds > 1 && summary.rounds < 50, `${summary.rounds} rounds`);
    assert.equal(metrics.length, summary.rounds);
    for (const m of metrics) assert.equal(m.epsilon, epsilonAt(m.round));
    assert.ok(epsilonAt(summary.rounds) <= 5);
    assert.ok(epsilonAt(summary.rounds + 1) > 5, "one more round would exceed the budget");
    assert.equal(summary.epsilon, epsilonAt(summary.rounds));
    assert.match(summary.stoppedEarly ?? "", /--dp-target-epsilon 5/);
    assert.ok(lines.some((l) => l.includes(`stopping before round ${summary.rounds + 1}`)));
    assert.equal(readCheckpoint(out)?.header.round, summary.rounds);
  });

  it("says in the summary that cryptographic noise is not reproducible", async () => {
    const options = small({
      dp: "fixed",
      clip: 1,
      noiseMultiplier: 1,
      dpNoise: "crypto",
      rounds: 1,
      trainer: "serial",
    });
    const a = await runExperiment(options, quietIo);
    const b = await runExperiment(options, quietIo);
    assert.equal(a.notReproducible, CRYPTO_NOISE_NOTE);
    assert.notEqual(a.modelSha256, b.modelSha256);
    const seeded = await runExperiment({ ...options, dpNoise: "seeded" }, quietIo);
    assert.equal(seeded.notReproducible, undefined);
  });
});
