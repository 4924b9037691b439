/**
 * {@link roundFigures}: the figures drawn from runs' `metrics.jsonl` lines: test accuracy and
 * loss against rounds and wall-clock time, train loss, the seconds of each round split into
 * training, aggregation and evaluation, client participation, and, when the lines carry them,
 * ε (differential privacy), the clients' own accuracy spread and the malicious clients per round.
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { CHART_CONFIG, CHART_HEIGHT, CHART_WIDTH, type Figure, runColor } from "./figure.js";
import type { RunRecord } from "./read-run.js";
import type { RoundRecord } from "./round-record.js";

/** A run with its legend label. */
export interface LabelledRun {
  /** The legend label (see `runLabels`). */
  readonly label: string;
  /** The run. */
  readonly run: RunRecord;
}

/** Above this many clients, participation is drawn as a histogram, not one bar per client. */
export const PARTICIPATION_MAX_BARS = 500;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

type Row = Record<string, string | number>;

/**
 * Seconds since the run's first round started, at the end of each round: the sum of the
 * rounds' training, aggregation and evaluation seconds (set-up and worker start-up excluded).
 */
export function wallClockSeconds(rounds: readonly RoundRecord[]): number[] {
  let total = 0;
  return rounds.map((r) => {
    total += (r.roundSeconds ?? 0) + (r.evalSeconds ?? 0);
    return total;
  });
}

function base(rows: readonly Row[]) {
  return {
    $schema: SCHEMA,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    config: CHART_CONFIG,
    data: { values: rows.map((r) => ({ ...r })) },
  } as const;
}

/** Rows of `{run, round, seconds, value}` for the rounds where `pick` gives a number. */
function seriesRows(
  runs: readonly LabelledRun[],
  pick: (r: RoundRecord) => number | null | undefined,
): Row[] {
  const rows: Row[] = [];
  for (const { label, run } of runs) {
    const clock = wallClockSeconds(run.rounds);
    run.rounds.forEach((r, i) => {
      const value = pick(r);
      if (typeof value === "number" && Number.isFinite(value))
        rows.push({ run: label, round: r.round, seconds: clock[i] as number, value });
    });
  }
  return rows;
}

function lineFigure(
  runs: readonly LabelledRun[],
  name: string,
  title: string,
  caption: string,
  x: "round" | "seconds",
  yTitle: string,
  rows: readonly Row[],
): Figure | undefined {
  if (rows.length === 0) return undefined;
  const spec: TopLevelSpec = {
    ...base(rows),
    mark: { type: "line", point: { filled: true, size: 28 }, tooltip: true },
    encoding: {
      x: {
        field: x,
        type: "quantitative",
        title: x === "round" ? "round" : "wall-clock seconds (rounds and evaluation)",
        ...(x === "round" ? { axis: { tickMinStep: 1 } } : {}),
      },
      y: { field: "value", type: "quantitative", title: yTitle, scale: { zero: false } },
      color: runColor(runs.map((r) => r.label)),
    },
  };
  return { name, title, caption, spec };
}

/** The parts a round's seconds are split into, with how each was obtained. */
export interface RoundSecondsSplit {
  /** Local training. */
  readonly training: number;
  /** Aggregation, or aggregation plus overhead when not measured on its own. */
  readonly aggregation: number;
  /** The rest of the round (dispatch, transfers) when aggregation was measured, else 0. */
  readonly other: number;
  /** Evaluation after the round. */
  readonly evaluation: number;
  /** Whether training and aggregation were measured (`trainSeconds`/`aggregateSeconds`). */
  readonly measured: boolean;
}

/**
 * Splits a round's seconds. With `trainSeconds` and `aggregateSeconds` in the line, those are
 * used as they are; otherwise training is estimated as `clientSeconds / parallels` (the clients'
 * summed training seconds spread over the workers, capped at `roundSeconds`), and the rest of
 * `roundSeconds` is aggregation plus overhead. Evaluation is `evalSeconds` in both cases.
 * @param parallels - The run's workers (1 for the serial trainer).
 */
export function splitRoundSeconds(r: RoundRecord, parallels: number): RoundSecondsSplit {
  const round = r.roundSeconds ?? 0;
  const evaluation = r.evalSeconds ?? 0;
  if (r.trainSeconds !== undefined) {
    const aggregation = r.aggregateSeconds ?? Math.max(0, round - r.trainSeconds);
    return {
      training: r.trainSeconds,
      aggregation,
      other: Math.max(0, round - r.trainSeconds - aggregation),
      evaluation,
      measured: true,
    };
  }
  const training = Math.min(round, (r.clientSeconds ?? 0) / Math.max(1, parallels));
  return { training, aggregation: round - training, other: 0, evaluation, measured: false };
}

/** The workers a run's config says it used (1 for the serial trainer or when not said). */
function parallelsOf(config: Readonly<Record<string, unknown>>): number {
  if (config.trainer === "serial") return 1;
  return typeof config.parallels === "number" && config.parallels >= 1 ? config.parallels : 1;
}

function secondsFigure(runs: readonly LabelledRun[]): Figure | undefined {
  const rows: Row[] = [];
  let measured = false;
  let estimated = false;
  for (const { label, run } of runs) {
    const parallels = parallelsOf(run.config);
    for (const r of run.rounds) {
      if (r.roundSeconds === undefined && r.trainSeconds === undefined) continue;
      const s = splitRoundSeconds(r, parallels);
      if (s.measured) measured = true;
      else estimated = true;
      const parts: [string, number][] = s.measured
        ? [
            ["training", s.training],
            ["aggregation", s.aggregation],
            ["other", s.other],
            ["evaluation", s.evaluation],
          ]
        : [
            ["training", s.training],
            ["aggregation + overhead", s.aggregation],
            ["evaluation", s.evaluation],
          ];
      parts.forEach(([part, seconds], order) => {
        rows.push({ run: label, round: r.round, part, order, seconds });
      });
    }
  }
  if (rows.length === 0) return undefined;
  const colors: Readonly<Record<string, string>> = {
    training: "#4c78a8",
    aggregation: "#f58518",
    "aggregation + overhead": "#f58518",
    other: "#bab0ac",
    evaluation: "#54a24b",
  };
  const domain = Object.keys(colors).filter((part) => rows.some((r) => r.part === part));
  const single = runs.length === 1;
  const unit = {
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "round",
        type: "ordinal",
        title: "round",
        axis: { labelOverlap: true, labelAngle: 0 },
      },
      y: { field: "seconds", type: "quantitative", title: "seconds", stack: "zero" },
      color: {
        field: "part",
        type: "nominal",
        title: "part",
        scale: { domain, range: domain.map((part) => colors[part] as string) },
      },
      order: { field: "order", type: "quantitative" },
    },
  } as const;
  const spec: TopLevelSpec = single
    ? { ...base(rows), ...unit }
    : {
        $schema: SCHEMA,
        config: CHART_CONFIG,
        data: { values: rows },
        facet: { row: { field: "run", type: "nominal", title: null } },
        spec: { width: CHART_WIDTH, height: Math.round(CHART_HEIGHT / 2), ...unit },
        resolve: { scale: { x: "independent" } },
      };
  const how = [
    measured ? "training and aggregation as the run loop measured them" : "",
    estimated
      ? "training estimated as the clients' summed training seconds divided by the run's workers (clientSeconds / parallels, capped at the round), the rest of the round as aggregation plus overhead"
      : "",
  ]
    .filter((s) => s !== "")
    .join("; ");
  return {
    name: "seconds-per-round",
    title: "Seconds per round",
    caption: `Each round's seconds split into training, aggregation and evaluation: ${how}; evaluation is the test-set evaluation after the round.`,
    spec,
  };
}

function participationFigure(runs: readonly LabelledRun[]): Figure | undefined {
  const labels = runs.map((r) => r.label);
  const counted = runs
    .map(({ label, run }) => {
      const configured = typeof run.config.clients === "number" ? run.config.clients : 0;
      let seen = 0;
      for (const r of run.rounds) for (const cid of r.clients ?? []) seen = Math.max(seen, cid + 1);
      const times = new Array<number>(Math.max(configured, seen)).fill(0);
      let any = false;
      for (const r of run.rounds)
        for (const cid of r.clients ?? []) {
          times[cid] = (times[cid] as number) + 1;
          any = true;
        }
      return { label, times, any };
    })
    .filter((c) => c.any);
  if (counted.length === 0) return undefined;
  const numClients = Math.max(...counted.map((c) => c.times.length));
  if (numClients <= PARTICIPATION_MAX_BARS) {
    const rows: Row[] = [];
    for (const { label, times } of counted)
      times.forEach((n, cid) => {
        rows.push({ run: label, client: cid, sampled: n });
      });
    const spec: TopLevelSpec = {
      ...base(rows),
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "client", type: "ordinal", title: "client id", axis: { labelOverlap: true } },
        y: { field: "sampled", type: "quantitative", title: "rounds sampled" },
        color: runColor(labels),
        ...(counted.length > 1 ? { xOffset: { field: "run", type: "nominal" } } : {}),
      },
    };
    return {
      name: "participation",
      title: "Participation",
      caption: "How many rounds each client was sampled in (from each round's `clients`).",
      spec,
    };
  }
  const rows: Row[] = [];
  for (const { label, times } of counted) {
    const histogram = new Map<number, number>();
    for (const n of times) histogram.set(n, (histogram.get(n) ?? 0) + 1);
    for (const [sampled, clients] of [...histogram].sort((a, b) => a[0] - b[0]))
      rows.push({ run: label, sampled, clients });
  }
  const spec: TopLevelSpec = {
    ...base(rows),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "sampled", type: "ordinal", title: "rounds sampled" },
      y: { field: "clients", type: "quantitative", title: "clients" },
      color: runColor(labels),
      ...(counted.length > 1 ? { xOffset: { field: "run", type: "nominal" } } : {}),
    },
  };
  return {
    name: "participation",
    title: "Participation",
    caption: `How many clients were sampled in how many rounds (a histogram: more than ${PARTICIPATION_MAX_BARS} clients).`,
    spec,
  };
}

function clientAccuracyFigure(runs: readonly LabelledRun[]): Figure | undefined {
  const rows: Row[] = [];
  for (const { label, run } of runs)
    for (const r of run.rounds) {
      const a = r.clientAccuracy;
      if (a === undefined || a === null) continue;
      rows.push({
        run: label,
        round: r.round,
        mean: a.mean,
        min: a.min,
        p10: a.p10,
        p50: a.p50,
        p90: a.p90,
        ...(a.weightedMean !== undefined ? { weightedMean: a.weightedMean } : {}),
      });
    }
  if (rows.length === 0) return undefined;
  const color = runColor(runs.map((r) => r.label));
  const x = {
    field: "round",
    type: "quantitative",
    title: "round",
    axis: { tickMinStep: 1 },
  } as const;
  const spec: TopLevelSpec = {
    ...base(rows),
    layer: [
      {
        mark: { type: "area", opacity: 0.25 },
        encoding: {
          x,
          y: { field: "p10", type: "quantitative", title: "client test accuracy" },
          y2: { field: "p90" },
          color,
        },
      },
      {
        mark: { type: "line", strokeDash: [2, 2], strokeWidth: 1 },
        encoding: { x, y: { field: "min", type: "quantitative" }, color },
      },
      {
        mark: { type: "line", point: { filled: true, size: 28 }, tooltip: true },
        encoding: { x, y: { field: "p50", type: "quantitative" }, color },
      },
    ],
  };
  return {
    name: "client-accuracy-by-round",
    title: "Per-client accuracy spread",
    caption:
      "Federated evaluation: the clients' own test accuracies after each round; the band is the 10th to 90th percentile, the solid line the median, the dotted line the minimum.",
    spec,
  };
}

function maliciousFigure(runs: readonly LabelledRun[]): Figure | undefined {
  const rows = seriesRows(runs, (r) => r.maliciousClients);
  if (rows.length === 0) return undefined;
  const spec: TopLevelSpec = {
    ...base(rows),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "round",
        type: "ordinal",
        title: "round",
        axis: { labelOverlap: true, labelAngle: 0 },
      },
      y: {
        field: "value",
        type: "quantitative",
        title: "malicious clients",
        axis: { tickMinStep: 1 },
      },
      color: runColor(runs.map((r) => r.label)),
      ...(runs.length > 1 ? { xOffset: { field: "run", type: "nominal" } } : {}),
    },
  };
  return {
    name: "malicious-clients-by-round",
    title: "Malicious clients per round",
    caption: "How many of each round's sampled clients were attackers.",
    spec,
  };
}

/** The fields of a metrics line that have figures of their own. */
const DRAWN_FIELDS: ReadonlySet<string> = new Set([
  "round",
  "clients",
  "roundSeconds",
  "evalSeconds",
  "trainSeconds",
  "aggregateSeconds",
  "clientSeconds",
  "testAccuracy",
  "testLoss",
  "trainLoss",
  "epsilon",
  "clientAccuracy",
  "maliciousClients",
]);

/**
 * The numbers of a metrics line that no other figure draws: top-level numbers (a server part's
 * `roundMetrics()`) and the `clientMetrics` sums (e.g. FedProx's `dropped`), by name.
 */
export function otherNumbers(r: RoundRecord): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of Object.entries(r)) {
    if (DRAWN_FIELDS.has(key)) continue;
    if (typeof value === "number" && Number.isFinite(value)) out.set(key, value);
    else if (key === "clientMetrics" && typeof value === "object" && value !== null)
      for (const [name, v] of Object.entries(value))
        if (typeof v === "number" && Number.isFinite(v)) out.set(`clientMetrics.${name}`, v);
  }
  return out;
}

function otherNumbersFigure(runs: readonly LabelledRun[]): Figure | undefined {
  const rows: Row[] = [];
  for (const { label, run } of runs)
    for (const r of run.rounds)
      for (const [metric, value] of otherNumbers(r))
        rows.push({ run: label, round: r.round, metric, value });
  if (rows.length === 0) return undefined;
  const metrics = [...new Set(rows.map((r) => r.metric as string))];
  const unit = {
    mark: { type: "line", point: { filled: true, size: 28 }, tooltip: true },
    encoding: {
      x: { field: "round", type: "quantitative", title: "round", axis: { tickMinStep: 1 } },
      y: {
        field: "value",
        type: "quantitative",
        title: metrics.length === 1 ? (metrics[0] as string) : "value",
        scale: { zero: false },
      },
      color: runColor(runs.map((r) => r.label)),
    },
  } as const;
  const spec: TopLevelSpec =
    metrics.length === 1
      ? { ...base(rows), ...unit }
      : {
          $schema: SCHEMA,
          config: CHART_CONFIG,
          data: { values: rows },
          facet: { row: { field: "metric", type: "nominal", title: null, sort: metrics } },
          spec: { width: CHART_WIDTH, height: Math.round(CHART_HEIGHT / 2), ...unit },
          resolve: { scale: { y: "independent" } },
        };
  return {
    name: "other-metrics-by-round",
    title: "Other numbers per round",
    caption: `Numbers in metrics.jsonl that no figure above draws: ${metrics.join(", ")} (an algorithm's own round metrics and its clients' summed metrics).`,
    spec,
  };
}

/**
 * The figures of the runs' rounds, in report order; a figure whose data no run has is left out.
 * @param runs - The runs with their legend labels, in legend order.
 */
export function roundFigures(runs: readonly LabelledRun[]): Figure[] {
  const accuracy = seriesRows(runs, (r) => r.testAccuracy);
  const testLoss = seriesRows(runs, (r) => r.testLoss);
  const figures = [
    lineFigure(
      runs,
      "test-accuracy-by-round",
      "Test accuracy per round",
      "The global model's accuracy on the server's test set after each evaluated round.",
      "round",
      "test accuracy",
      accuracy,
    ),
    lineFigure(
      runs,
      "test-accuracy-by-time",
      "Test accuracy against wall-clock time",
      "The same accuracy against the seconds the rounds took so far (training, aggregation and evaluation; set-up excluded).",
      "seconds",
      "test accuracy",
      accuracy,
    ),
    lineFigure(
      runs,
      "test-loss-by-round",
      "Test loss per round",
      "The global model's loss on the server's test set after each evaluated round.",
      "round",
      "test loss",
      testLoss,
    ),
    lineFigure(
      runs,
      "test-loss-by-time",
      "Test loss against wall-clock time",
      "The same loss against the seconds the rounds took so far.",
      "seconds",
      "test loss",
      testLoss,
    ),
    lineFigure(
      runs,
      "train-loss-by-round",
      "Train loss per round",
      "The sampled clients' mean training loss in each round.",
      "round",
      "train loss",
      seriesRows(runs, (r) => r.trainLoss),
    ),
    secondsFigure(runs),
    participationFigure(runs),
    lineFigure(
      runs,
      "epsilon-by-round",
      "Privacy budget ε per round",
      "Differential privacy: the accountant's ε spent up to each round.",
      "round",
      "ε",
      seriesRows(runs, (r) => r.epsilon),
    ),
    clientAccuracyFigure(runs),
    maliciousFigure(runs),
    otherNumbersFigure(runs),
  ];
  return figures.filter((f): f is Figure => f !== undefined);
}
