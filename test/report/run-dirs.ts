/**
 * Run directories for the report tests: real ones made by `blazefl run`, and ones whose
 * metrics are synthesised for fields today's run loop does not write yet (DP, attacks,
 * federated evaluation) or for sizes too large to train in a test (10,000 clients).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../cli/cli-helpers.js";

/** Tiny settings: 20 LEAF Synthetic clients, 4 a round, logistic regression, serial. */
export const TINY_RUN = [
  "--clients",
  "20",
  "--sample-ratio",
  "0.2",
  "--batch-size",
  "16",
  "--seed",
  "7",
  "--trainer",
  "serial",
  "--quiet",
];

/** Runs `blazefl run` into `dir` with {@link TINY_RUN} plus `extra`; throws when it fails. */
export async function realRun(dir: string, extra: readonly string[]): Promise<void> {
  const result = await runCli(["run", ...TINY_RUN, ...extra, "--out", dir]);
  if (result.code !== 0) throw new Error(`blazefl run failed (${result.code}): ${result.stderr}`);
}

/** The parsed lines of a run's `metrics.jsonl`. */
export function metricsOf(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Writes a run directory from a config and metrics lines. */
export function writeRunDir(
  dir: string,
  config: Record<string, unknown>,
  lines: readonly Record<string, unknown>[],
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, "metrics.jsonl"), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  return dir;
}

/** A config as `blazefl run` writes it, for LEAF Synthetic with `clients` clients. */
export function syntheticConfig(clients: number, extra: Record<string, unknown> = {}) {
  return {
    algorithm: "fedavg",
    dataset: "synthetic",
    partition: "natural",
    model: "logreg",
    clients,
    sampleRatio: 0.1,
    rounds: 100,
    epochs: 1,
    batchSize: 32,
    lr: 0.01,
    momentum: 0,
    weightDecay: 0,
    trainer: "thread",
    parallels: 2,
    seed: 5,
    device: "cpu",
    evalEvery: 1,
    syntheticAlpha: 1,
    syntheticBeta: 1,
    quiet: true,
    ...extra,
  };
}

/**
 * `rounds` metrics lines of a DP + attack run with federated evaluation and the split timings
 * a newer run loop writes, an algorithm's own numbers, and a field no report knows
 * (`futureField`, an object: not drawn). Client ids follow a
 * fixed stride (a test fixture, not a sampler).
 */
export function dpAttackLines(rounds: number, clients: number, perRound: number) {
  return Array.from({ length: rounds }, (_, i) => {
    const round = i + 1;
    const ids = Array.from({ length: perRound }, (_, k) => (i * perRound * 7 + k * 13) % clients);
    const acc = 0.3 + 0.5 * (1 - Math.exp(-round / 20));
    return {
      round,
      clients: [...new Set(ids)].sort((a, b) => a - b),
      roundSeconds: 0.5 + 0.01 * (round % 5),
      trainSeconds: 0.35,
      aggregateSeconds: 0.05,
      evalSeconds: 0.1,
      clientSeconds: 0.7,
      testAccuracy: acc,
      testLoss: 2.3 * (1 - acc),
      trainLoss: 2.2 * (1 - acc),
      epsilon: 0.05 * Math.sqrt(round),
      clientAccuracy: {
        mean: acc - 0.02,
        weightedMean: acc - 0.01,
        min: acc - 0.3,
        p10: acc - 0.15,
        p50: acc - 0.01,
        p90: acc + 0.08,
      },
      maliciousClients: round % 3,
      // An algorithm's own numbers: a server part's roundMetrics() and its clients' sums.
      updateNorm: 1 / round,
      clientMetrics: { dropped: round % 2 },
      futureField: { note: "a field this report does not know", values: [1, 2, 3] },
    };
  });
}
