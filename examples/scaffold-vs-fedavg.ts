// SCAFFOLD against FedAvg under strong label skew (Fashion-MNIST, two classes per client; Debian's
// dataset-fashion-mnist): the same rounds, clients and local steps, two
// built-in algorithms, one line of difference. SCAFFOLD keeps a control variate per client
// (kit client state) across rounds, whichever worker trains the client. Run it with:
//
//   npx tsx examples/scaffold-vs-fedavg.ts [--rounds N] [--out DIR]
//
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runExperiment } from "blazefl";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "10" },
    out: { type: "string" },
  },
});

const common = {
  dataset: "fashion-mnist",
  partition: "shards:2",
  model: "mlp",
  clients: 100,
  sampleRatio: 0.1,
  rounds: values.rounds,
  epochs: 2,
  batchSize: 10,
  lr: 0.05,
  trainer: "process",
  parallels: 2,
  quiet: true,
};

const results: Record<string, unknown>[] = [];
for (const algorithm of ["fedavg", "scaffold"]) {
  const summary = await runExperiment({
    ...common,
    algorithm,
    ...(values.out !== undefined ? { out: join(values.out, algorithm) } : {}),
  });
  results.push({ algorithm, testAccuracy: summary.testAccuracy, testLoss: summary.testLoss });
}
console.table(results);
console.log(JSON.stringify(results));
