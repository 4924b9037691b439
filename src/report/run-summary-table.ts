/**
 * {@link runSummaries} and {@link runSummaryTableHtml}: the report's table of each run's final
 * metrics and the options it was run with, so the numbers behind the curves can be quoted.
 * @module
 */
import { escapeHtml } from "./escape-html.js";
import { type LabelledRun, wallClockSeconds } from "./round-figures.js";
import type { RoundRecord } from "./round-record.js";
import { differingOptions } from "./run-labels.js";

/** One run's final metrics. */
export interface RunSummaryRow {
  /** The legend label. */
  readonly label: string;
  /** The run directory. */
  readonly dir: string;
  /** The last round recorded. */
  readonly rounds: number;
  /** The last evaluated round's test accuracy. */
  readonly finalTestAccuracy: number | undefined;
  /** The best test accuracy of any evaluated round. */
  readonly bestTestAccuracy: number | undefined;
  /** The last evaluated round's test loss. */
  readonly finalTestLoss: number | undefined;
  /** The last round's mean client training loss. */
  readonly finalTrainLoss: number | undefined;
  /** Rounds plus evaluation, seconds. */
  readonly seconds: number;
  /** The last ε recorded (DP runs). */
  readonly finalEpsilon: number | undefined;
  /** Malicious client slots over all rounds (attack runs). */
  readonly maliciousClients: number | undefined;
}

function last(
  rounds: readonly RoundRecord[],
  pick: (r: RoundRecord) => number | null | undefined,
): number | undefined {
  for (let i = rounds.length - 1; i >= 0; i--) {
    const v = pick(rounds[i] as RoundRecord);
    if (typeof v === "number") return v;
  }
  return undefined;
}

/** Each run's final metrics, in report order. */
export function runSummaries(runs: readonly LabelledRun[]): RunSummaryRow[] {
  return runs.map(({ label, run }) => {
    const accuracies = run.rounds
      .map((r) => r.testAccuracy)
      .filter((a): a is number => typeof a === "number");
    const malicious = run.rounds
      .map((r) => r.maliciousClients)
      .filter((m): m is number => typeof m === "number");
    return {
      label,
      dir: run.dir,
      rounds: run.rounds.reduce((m, r) => Math.max(m, r.round), 0),
      finalTestAccuracy: last(run.rounds, (r) => r.testAccuracy),
      bestTestAccuracy: accuracies.length > 0 ? Math.max(...accuracies) : undefined,
      finalTestLoss: last(run.rounds, (r) => r.testLoss),
      finalTrainLoss: last(run.rounds, (r) => r.trainLoss),
      seconds: wallClockSeconds(run.rounds).at(-1) ?? 0,
      finalEpsilon: last(run.rounds, (r) => r.epsilon),
      maliciousClients: malicious.length > 0 ? malicious.reduce((a, b) => a + b, 0) : undefined,
    };
  });
}

function num(value: number | undefined, digits = 4): string {
  return value === undefined ? "–" : value.toFixed(digits);
}

function optionText(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "–");
}

/**
 * The summary table as HTML: one row per run with its final metrics and the options in which the
 * runs differ, then every run's full options under a disclosure.
 */
export function runSummaryTableHtml(runs: readonly LabelledRun[]): string {
  const rows = runSummaries(runs);
  const keys = differingOptions(runs.map((r) => r.run.config));
  const dp = rows.some((r) => r.finalEpsilon !== undefined);
  const attack = rows.some((r) => r.maliciousClients !== undefined);
  const head = [
    "run",
    "rounds",
    "final test accuracy",
    "best test accuracy",
    "final test loss",
    "final train loss",
    "seconds",
    ...(dp ? ["final ε"] : []),
    ...(attack ? ["malicious clients (all rounds)"] : []),
    ...keys,
  ];
  const body = rows.map((row, i) => {
    const config = runs[i]?.run.config ?? {};
    const cells = [
      row.label,
      String(row.rounds),
      num(row.finalTestAccuracy),
      num(row.bestTestAccuracy),
      num(row.finalTestLoss),
      num(row.finalTrainLoss),
      num(row.seconds, 2),
      ...(dp ? [num(row.finalEpsilon, 3)] : []),
      ...(attack ? [row.maliciousClients === undefined ? "–" : String(row.maliciousClients)] : []),
      ...keys.map((key) => optionText(config[key])),
    ];
    return `<tr>${cells.map((c, j) => `<${j === 0 ? 'th scope="row"' : "td"}>${escapeHtml(c)}</${j === 0 ? "th" : "td"}>`).join("")}</tr>`;
  });
  const details = runs.map(({ label, run }) => {
    const options = Object.entries(run.config)
      .map(
        ([key, value]) =>
          `<tr><th scope="row">${escapeHtml(key)}</th><td>${escapeHtml(optionText(value))}</td></tr>`,
      )
      .join("");
    return `<details><summary>${escapeHtml(label)}: ${escapeHtml(run.dir)}</summary><table class="options">${options}</table></details>`;
  });
  return [
    `<table class="summary"><thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr></thead>`,
    `<tbody>${body.join("")}</tbody></table>`,
    ...details,
  ].join("\n");
}
