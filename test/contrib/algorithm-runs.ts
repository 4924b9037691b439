/**
 * The checks every algorithm of the library passes end to end, as SCAFFOLD's test does them:
 * one sha256 (and the same per-round algorithm metrics) across serial, thread ×2 and process ×2,
 * and across an interrupt + resume on another trainer kind.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AbortError } from "../../src/core/errors.js";
import { readCheckpoint } from "../../src/kit/checkpoint.js";
import { type RoundMetrics, runExperiment } from "../../src/kit/run-experiment.js";

const quietIo = { progress: false } as const;

/** The kit's own metrics keys; the rest of a line is the algorithm's. */
const KIT_KEYS = new Set([
  "round",
  "clients",
  "roundSeconds",
  "evalSeconds",
  "testAccuracy",
  "testLoss",
  "trainLoss",
  "clientSeconds",
]);

/** 20 synthetic clients, 5 a round for 4 rounds: most clients train twice, so state matters. */
export function smallRun(algorithm: string, extra: Record<string, unknown> = {}) {
  return {
    algorithm,
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

/** Runs `input`, returning its summary and each round's algorithm-specific metrics. */
export async function runWithMetrics(
  input: Record<string, unknown>,
  signal?: AbortSignal,
  onRound?: (m: RoundMetrics) => void,
) {
  const own: Record<string, unknown>[] = [];
  const summary = await runExperiment(input, {
    ...quietIo,
    ...(signal !== undefined ? { signal } : {}),
    onRound: (m) => {
      own.push(Object.fromEntries(Object.entries(m).filter(([k]) => !KIT_KEYS.has(k))));
      onRound?.(m);
    },
  });
  return { summary, own };
}

/**
 * Registers the determinism tests of `algorithm` (with `options`, its flags):
 * serial = thread ×2 = process ×2 = interrupted (process ×2) + resumed (thread ×2).
 * @returns A getter of the serial run's sha256, once that test has run.
 */
export function describeDeterminism(
  algorithm: string,
  options: Record<string, unknown> = {},
): () => string {
  let reference = "";
  let referenceMetrics: Record<string, unknown>[] = [];
  describe(`${algorithm}: one result on every trainer kind`, () => {
    const dir = mkdtempSync(join(tmpdir(), `blazefl-${algorithm}-`));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("runs serially (the reference)", async () => {
      const { summary, own } = await runWithMetrics(
        smallRun(algorithm, { ...options, trainer: "serial" }),
      );
      assert.match(summary.modelSha256, /^[0-9a-f]{64}$/);
      assert.ok(Number.isFinite(summary.testAccuracy));
      reference = summary.modelSha256;
      referenceMetrics = own;
    });

    for (const [trainer, parallels] of [
      ["thread", 2],
      ["process", 2],
    ] as const)
      it(`gives the serial model and metrics bit for bit with --trainer ${trainer} --parallels ${parallels}`, async () => {
        const { summary, own } = await runWithMetrics(
          smallRun(algorithm, { ...options, trainer, parallels }),
        );
        assert.equal(summary.modelSha256, reference);
        assert.deepEqual(own, referenceMetrics);
      });

    it("resumes exactly after an interrupt mid-run, on another trainer kind", async () => {
      const out = join(dir, "interrupted");
      const controller = new AbortController();
      await assert.rejects(
        runWithMetrics(
          smallRun(algorithm, { ...options, trainer: "process", parallels: 2, out }),
          controller.signal,
          (m) => {
            if (m.round === 2) controller.abort();
          },
        ),
        AbortError,
      );
      assert.equal(readCheckpoint(out)?.header.round, 2);
      const resumed = await runWithMetrics(
        smallRun(algorithm, { ...options, trainer: "thread", parallels: 2, out, resume: true }),
      );
      assert.equal(resumed.summary.rounds, 4);
      assert.equal(resumed.summary.modelSha256, reference);
      assert.deepEqual(resumed.own, referenceMetrics.slice(2));
    });
  });
  return () => reference;
}

/** FedAvg's sha256 on {@link smallRun}, for "differs from FedAvg" checks. */
export async function fedAvgSha256(): Promise<string> {
  return (await runExperiment(smallRun("fedavg", { trainer: "serial" }), quietIo)).modelSha256;
}
