/**
 * bench/robust: the server-side cost of each `--aggregator` (and of DP clipping plus noise and the
 * accountant) on one round of fmnist-mlp-sized updates (784-200-200-10: 199,210 parameters),
 * against FedAvg's streaming weighted mean in the same run. Prints one JSON object per
 * configuration with `ratio` = its time / the streaming mean's, and the bytes it holds
 * (n * d * 4 for the aggregators that need every update at once). Never fails on time.
 *
 * Usage: node --import tsx bench/robust/index.ts [--params 199210] [--clients 10,20] [--reps 3]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { addGaussianNoise, dpFedAvgNoiseStd } from "../../src/contrib/privacy/gaussian-noise.js";
import { clipToNorm } from "../../src/contrib/privacy/l2-clipping.js";
import { RdpAccountant } from "../../src/contrib/privacy/rdp-accountant.js";
import { parseAggregator } from "../../src/contrib/robust/aggregator-spec.js";
import { robustAggregate } from "../../src/contrib/robust/robust-aggregate.js";
import { WeightedAverage } from "../../src/kit/weighted-average.js";
import { createRng } from "../../src/reproducibility/rng.js";

const { values: args } = parseArgs({
  options: {
    params: { type: "string", default: "199210" },
    clients: { type: "string", default: "10,20" },
    reps: { type: "string", default: "3" },
  },
});
const d = Number(args.params);
const reps = Number(args.reps);

function medianTime(fn: () => unknown): number {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1] as number;
}

for (const n of (args.clients ?? "").split(",").map(Number)) {
  const rng = createRng(n);
  const updates = Array.from({ length: n }, () => {
    const u = new Float32Array(d);
    for (let i = 0; i < d; i++) u[i] = rng.normal(0, 0.01);
    return u;
  });
  const weights = updates.map((_, k) => 50 + k);
  const streamingMs = medianTime(() => {
    const avg = new WeightedAverage(d);
    for (const [k, u] of updates.entries()) avg.add(u, weights[k] as number);
    return avg.result();
  });
  const f = Math.max(1, Math.floor((n - 3) / 4));
  const specs = [
    "median",
    "trimmed-mean:0.2",
    `krum:${f}`,
    `multi-krum:${f}:${n - f}`,
    `bulyan:${f}`,
  ];
  for (const text of specs) {
    const spec = parseAggregator(text);
    const ms = medianTime(() => robustAggregate(spec, updates, weights));
    console.log(
      JSON.stringify({
        aggregator: text,
        params: d,
        clients: n,
        ms: Number(ms.toFixed(2)),
        streamingMeanMs: Number(streamingMs.toFixed(2)),
        ratio: Number((ms / streamingMs).toFixed(2)),
        heldBytes: n * d * 4,
        streamingHeldBytes: d * 8,
      }),
    );
  }
  const noise = createRng(1);
  const dpMs = medianTime(() => {
    const avg = new WeightedAverage(d);
    for (const u of updates) avg.add(clipToNorm(u, 1).update, 1);
    return addGaussianNoise(avg.result(), dpFedAvgNoiseStd(1, 1, n), noise);
  });
  console.log(
    JSON.stringify({
      aggregator: "dp-fixed (clip each, mean, noise)",
      params: d,
      clients: n,
      ms: Number(dpMs.toFixed(2)),
      streamingMeanMs: Number(streamingMs.toFixed(2)),
      ratio: Number((dpMs / streamingMs).toFixed(2)),
    }),
  );
}
const accountant = new RdpAccountant();
const stepMs = medianTime(() => {
  accountant.step({ noiseMultiplier: 1.1 + accountant.totalSteps * 1e-9, sampleRate: 0.1 });
  return accountant.getEpsilon(1e-5);
});
console.log(
  JSON.stringify({ accountant: "step + getEpsilon (151 orders)", ms: Number(stepMs.toFixed(3)) }),
);
