/**
 * bench/overhead: the pure framework cost per client, against the memcpy bound.
 *
 * A no-op worker returns its input (a model of N float32 parameters). For each pool (thread,
 * process), model size (1M, 10M) and result-memory mode (fresh, reused), it times rounds of 1
 * and of K clients on one worker and fits time = perRound + K * perClient. It prints one JSON
 * object per configuration, with `ratio` = perClient / (one memcpy of the model into warm
 * memory); the target is 3 or less. Never fails on time.
 *
 * Usage: node --import tsx bench/overhead/index.ts [--params 1000000,10000000] [--clients 10]
 *   [--reps 5] [--parallels 1]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { median } from "../median.js";
import { NoopProcessTrainer, NoopThreadTrainer } from "./noop-trainers.js";

const { values: args } = parseArgs({
  options: {
    params: { type: "string", default: "1000000,10000000" },
    clients: { type: "string", default: "10" },
    reps: { type: "string", default: "5" },
    parallels: { type: "string", default: "1" },
    pools: { type: "string", default: "thread,process" },
  },
});
const paramCounts = (args.params ?? "").split(",").map(Number);
const clients = Number(args.clients);
const reps = Number(args.reps);
const numParallels = Number(args.parallels);
const pools = (args.pools ?? "").split(",");

/** One memcpy of the model between warm (already touched) buffers, and into fresh memory. */
function memcpy(n: number): { warmMs: number; freshMs: number } {
  const src = new Float32Array(n).fill(1.5);
  const dst = new Float32Array(n).fill(0);
  const warm: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < 9; i++) {
    let t = performance.now();
    dst.set(src);
    warm.push(performance.now() - t);
    t = performance.now();
    new Float32Array(n).set(src);
    fresh.push(performance.now() - t);
  }
  return { warmMs: median(warm), freshMs: median(fresh) };
}

for (const numParams of paramCounts) {
  const payload = { params: new Float32Array(numParams).map((_, i) => i % 97) };
  for (const pool of pools) {
    for (const reuseResultBuffers of [false, true]) {
      const options = { numParallels, numParams, reuseResultBuffers };
      const trainer =
        pool === "thread" ? new NoopThreadTrainer(options) : new NoopProcessTrainer(options);
      try {
        let t = performance.now();
        await trainer.start();
        const startupSeconds = (performance.now() - t) / 1000;
        const round = async (k: number): Promise<number> => {
          const cids = Array.from({ length: k }, (_, i) => i);
          const start = performance.now();
          await trainer.localProcess(payload, cids);
          const ups = trainer.uplinkPackage();
          const elapsed = performance.now() - start;
          if (
            ups.length !== k ||
            ups[k - 1]?.params[numParams - 1] !== payload.params[numParams - 1]
          )
            throw new Error("the no-op result does not match its input");
          return elapsed;
        };
        await round(clients); // warm-up: buffers, file pages, JIT
        const one: number[] = [];
        const many: number[] = [];
        for (let r = 0; r < reps; r++) {
          one.push(await round(1));
          many.push(await round(clients));
        }
        const t1 = median(one);
        const tk = median(many);
        const perClientMs = (tk - t1) / (clients - 1);
        const perRoundMs = t1 - perClientMs;
        const copy = memcpy(numParams);
        t = performance.now();
        console.log(
          JSON.stringify({
            bench: "overhead",
            pool,
            params: numParams,
            modelMiB: (numParams * 4) / 2 ** 20,
            numParallels,
            clientsPerRound: clients,
            reuseResultBuffers,
            startupSeconds: Number(startupSeconds.toFixed(3)),
            roundMs: { one: Number(t1.toFixed(3)), [clients]: Number(tk.toFixed(3)) },
            perClientMs: Number(perClientMs.toFixed(3)),
            perRoundMs: Number(perRoundMs.toFixed(3)),
            memcpyMs: Number(copy.warmMs.toFixed(3)),
            memcpyFreshMs: Number(copy.freshMs.toFixed(3)),
            ratio: Number((perClientMs / copy.warmMs).toFixed(2)),
            target: 3,
            meetsTarget: perClientMs / copy.warmMs <= 3,
          }),
        );
      } finally {
        await trainer.shutdown();
      }
    }
  }
}
