/**
 * {@link AccuracySpread}: the numbers fairness and personalisation papers report about a
 * model's accuracy across clients (e.g. Li et al., Ditto, ICML 2021; q-FFL, ICLR 2020): the mean
 * over clients, the mean weighted by test samples, and the spread (min, 10th, 50th and 90th
 * percentile), folded client by client in sampled-cid order.
 * @module
 */

/** One round's accuracy across clients; `null` when no client had test data. */
export interface AccuracySummary {
  /** Clients with test data. */
  readonly clients: number;
  /** The unweighted mean of client accuracies (every client counts once). */
  readonly mean: number | null;
  /** The mean weighted by test samples (the accuracy over the union of the test splits). */
  readonly weightedMean: number | null;
  /** The worst client's accuracy. */
  readonly min: number | null;
  /** The 10th percentile. */
  readonly p10: number | null;
  /** The median. */
  readonly p50: number | null;
  /** The 90th percentile. */
  readonly p90: number | null;
}

/**
 * The q-th quantile of sorted values by linear interpolation between order statistics
 * (numpy's default, Hyndman and Fan's type 7): position q (n − 1).
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (position - low);
}

/** Collects (accuracy, test count) per client and summarises them. Memory O(clients of a round). */
export class AccuracySpread {
  readonly #accuracies: number[] = [];
  #correct = 0;
  #count = 0;

  /** Adds one client's accuracy on `count` test samples; a client without test data is skipped. */
  add(accuracy: number, count: number): void {
    if (!(count > 0) || !Number.isFinite(accuracy)) return;
    this.#accuracies.push(accuracy);
    this.#correct += accuracy * count;
    this.#count += count;
  }

  /** This round's summary; then forgets the round. */
  take(): AccuracySummary {
    const sorted = [...this.#accuracies].sort((a, b) => a - b);
    const n = sorted.length;
    const summary: AccuracySummary =
      n === 0
        ? { clients: 0, mean: null, weightedMean: null, min: null, p10: null, p50: null, p90: null }
        : {
            clients: n,
            mean: this.#accuracies.reduce((s, a) => s + a, 0) / n,
            weightedMean: this.#correct / this.#count,
            min: sorted[0] as number,
            p10: quantile(sorted, 0.1),
            p50: quantile(sorted, 0.5),
            p90: quantile(sorted, 0.9),
          };
    this.#accuracies.length = 0;
    this.#correct = 0;
    this.#count = 0;
    return summary;
  }
}

/** A summary as flat `metrics.jsonl` fields: `prefix` + `AccuracyMean`, `AccuracyP10`, … */
export function accuracyMetrics(
  prefix: string,
  summary: AccuracySummary,
): Record<string, number | null> {
  return {
    [`${prefix}Clients`]: summary.clients,
    [`${prefix}AccuracyMean`]: summary.mean,
    [`${prefix}AccuracyWeighted`]: summary.weightedMean,
    [`${prefix}AccuracyMin`]: summary.min,
    [`${prefix}AccuracyP10`]: summary.p10,
    [`${prefix}AccuracyP50`]: summary.p50,
    [`${prefix}AccuracyP90`]: summary.p90,
  };
}
