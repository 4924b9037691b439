import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AbortError } from "../../src/core/errors.js";
import { type RunSummary, runExperiment } from "../../src/kit/run-experiment.js";
import {
  killAll,
  type RedisServer,
  ROOT,
  spawnWorker,
  startRedis,
  watch,
} from "../fixtures/distributed/redis-harness.js";
import { quietIo, tinyRunOptions } from "../fixtures/distributed/workload.js";

/** Runs `work` with `BLAZEFL_RUN_ID` set (the server's run id), restoring it after. */
async function withRunId<T>(runId: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env.BLAZEFL_RUN_ID;
  process.env.BLAZEFL_RUN_ID = runId;
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env.BLAZEFL_RUN_ID;
    else process.env.BLAZEFL_RUN_ID = saved;
  }
}

describe("blazefl run --trainer redis with blazefl worker processes", () => {
  let redis: RedisServer;
  let poolSha: string;
  const dirs: string[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await killAll();
    await redis?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("gives the process-pool trainer's modelSha256; Ctrl+C closes the workers with exit 130", async () => {
    const workers = spawnWorker(["--redis", redis.url, "--concurrency", "2"]);
    const pool: RunSummary = await runExperiment(
      tinyRunOptions({ trainer: "process", parallels: 1 }),
      quietIo,
    );
    poolSha = pool.modelSha256;
    await workers.waitFor(/ready: 2 worker processes/);
    const viaRedis = await runExperiment(
      tinyRunOptions({ trainer: "redis", redis: redis.url }),
      quietIo,
    );
    assert.equal(viaRedis.trainer, "redis");
    assert.equal(viaRedis.rounds, 3);
    assert.equal(viaRedis.modelSha256, poolSha);
    // One line per job: 3 rounds x 4 clients, each started and done once.
    assert.equal(
      workers.lines.filter((l) => / done: run default, round \d+, client /.test(l)).length,
      12,
    );

    workers.kill("SIGINT");
    const { code } = await workers.exited;
    assert.equal(code, 130, workers.output);
    assert.equal(workers.lines.filter((l) => /closed: /.test(l)).length, 2, workers.output);
  });

  it("a worker killed mid-job: BullMQ runs its job on the other worker and the model is unchanged", async () => {
    assert.ok(poolSha !== undefined, "needs the first test's reference");
    const doomed = watch(process.execPath, [
      "--import",
      "tsx",
      join(ROOT, "test/fixtures/distributed/blocking-worker.ts"),
      redis.url,
      "e2e",
      "1000",
      "300",
    ]);
    await doomed.waitFor(/^ready$/);
    const run = withRunId("e2e", () =>
      runExperiment(tinyRunOptions({ trainer: "redis", redis: redis.url }), quietIo),
    );
    run.catch(() => {});
    const held = await doomed.waitFor(/^job \S+ started: run e2e, round 0, client \d+$/);
    const jobId = /^job (\S+) /.exec(held)?.[1] as string;
    const survivor = spawnWorker([
      "--redis",
      redis.url,
      "--run-id",
      "e2e",
      "--stalled-interval",
      "300",
      "--lock-duration",
      "2000",
    ]);
    await survivor.waitFor(/ready: run e2e/);
    doomed.kill("SIGKILL");
    assert.equal((await doomed.exited).signal, "SIGKILL");
    const summary = await run;
    assert.equal(summary.modelSha256, poolSha);
    assert.ok(
      survivor.lines.some((l) => l.includes(`job ${jobId} done:`)),
      `the killed worker's job ${jobId} ran on the survivor:\n${survivor.output}`,
    );
    assert.ok(!doomed.lines.some((l) => / done: /.test(l)));

    // A server interrupted mid-round resumes from its checkpoint, and the clients that already
    // finished are not trained again (their results are still in Redis).
    const reference = await runExperiment(tinyRunOptions({ trainer: "serial", seed: 7 }), quietIo);
    const out = mkdtempSync(join(tmpdir(), "blazefl-e2e-"));
    dirs.push(out);
    const from = survivor.lines.length;
    const controller = new AbortController();
    const interrupted = withRunId("e2e", () =>
      runExperiment(tinyRunOptions({ trainer: "redis", redis: redis.url, seed: 7, out }), {
        ...quietIo,
        signal: controller.signal,
      }),
    );
    await survivor.waitFor(/ done: run e2e, round 1, client /, from);
    controller.abort(new Error("test interrupt"));
    await assert.rejects(interrupted, AbortError);
    const resumed = await withRunId("e2e", () =>
      runExperiment(
        tinyRunOptions({ trainer: "redis", redis: redis.url, seed: 7, out, resume: true }),
        quietIo,
      ),
    );
    assert.equal(resumed.modelSha256, reference.modelSha256);
    const starts = survivor.lines
      .slice(from)
      .map((l) => / started: run e2e, (round \d+, client \d+)$/.exec(l)?.[1])
      .filter((s) => s !== undefined);
    assert.equal(starts.length, 12, survivor.lines.slice(from).join("\n"));
    assert.equal(new Set(starts).size, 12, "no client was trained twice");

    survivor.kill("SIGTERM");
    assert.equal((await survivor.exited).code, 143, survivor.output);
    assert.match(survivor.output, /closed: \d+ done, 0 rejected, 0 failed, 0 given back/);
  });

  it("evaluates the server's test set on the workers: every round's test figures and the sha256 are the serial trainer's and the process pool's", async () => {
    const options = { evalEvery: 1, parallels: 2 };
    const metricsOf = async (trainer: string, extra: Record<string, unknown> = {}) => {
      const out = mkdtempSync(join(tmpdir(), `blazefl-eval-${trainer}-`));
      dirs.push(out);
      const summary = await runExperiment(
        tinyRunOptions({ ...options, trainer, out, ...extra }),
        quietIo,
      );
      const rounds = readFileSync(join(out, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { testAccuracy: number; testLoss: number });
      return {
        sha: summary.modelSha256,
        figures: rounds.map((r) => [r.testAccuracy, r.testLoss]),
        final: [summary.testAccuracy, summary.testLoss],
      };
    };
    const serial = await metricsOf("serial");
    const pool = await metricsOf("process");
    const workers = spawnWorker(["--redis", redis.url, "--run-id", "evals", "--concurrency", "2"]);
    await workers.waitFor(/ready: 2 worker processes/);
    const viaRedis = await withRunId("evals", () => metricsOf("redis", { redis: redis.url }));
    assert.equal(serial.figures.length, 3);
    assert.ok(serial.figures.every(([a, l]) => Number.isFinite(a) && Number.isFinite(l)));
    // Exactly, not approximately: the shards' per-batch figures are summed in batch order.
    assert.deepEqual(pool, serial);
    assert.deepEqual(viaRedis, serial);
    // The test set's 2 batches (844 samples) in 2 shards, after each of the 3 rounds.
    const evaluations = workers.lines
      .map((l) =>
        / done: run evals, round (\d+), evaluation of test batches (\d+) to (\d+), (\d+) samples, /.exec(
          l,
        ),
      )
      .filter((m) => m !== null)
      .map((m) => `${m[1]}:${m[2]}-${m[3]}:${m[4]}`)
      .sort();
    assert.deepEqual(
      evaluations,
      ["1:0-0:500", "1:1-1:344", "2:0-0:500", "2:1-1:344", "3:0-0:500", "3:1-1:344"],
      workers.output,
    );
    workers.kill("SIGTERM");
    assert.equal((await workers.exited).code, 143, workers.output);
  });

  it("SCAFFOLD (per-client state, a broadcast control variate) gives the process pool's sha256", async () => {
    // 8 clients, 4 a round, 4 rounds: clients come back, so their state must travel right.
    const options = {
      algorithm: "scaffold",
      clients: 8,
      sampleRatio: 0.5,
      rounds: 4,
      model: "logreg",
      quiet: true,
    };
    const pool = await runExperiment({ ...options, trainer: "process", parallels: 2 }, quietIo);
    const workers = spawnWorker(["--redis", redis.url, "--run-id", "scaf", "--concurrency", "2"]);
    await workers.waitFor(/ready: 2 worker processes/);
    const viaRedis = await withRunId("scaf", () =>
      runExperiment({ ...options, trainer: "redis", redis: redis.url }, quietIo),
    );
    assert.equal(viaRedis.modelSha256, pool.modelSha256);
    assert.equal(workers.lines.filter((l) => / done: run scaf, .*scaffold/.test(l)).length, 16);
    workers.kill("SIGTERM");
    assert.equal((await workers.exited).code, 143, workers.output);
  });

  it("a user's algorithm runs only on workers started with its module; jobs only name it", async () => {
    const module = join(ROOT, "test/fixtures/kit/fedsgd-algorithm.ts");
    const options = {
      algorithm: module,
      localSteps: 2,
      clients: 10,
      sampleRatio: 0.3,
      rounds: 2,
      lr: 0.05,
      seed: 3,
      quiet: true,
    };
    const reference = await runExperiment({ ...options, trainer: "serial" }, quietIo);
    const plain = spawnWorker(["--redis", redis.url, "--run-id", "user"]);
    await plain.waitFor(/ready: run user/);
    await assert.rejects(
      withRunId("user", () =>
        runExperiment({ ...options, trainer: "redis", redis: redis.url }, quietIo),
      ),
      /the run uses algorithm "fedsgd-steps", which this worker was not started with/,
    );
    plain.kill("SIGTERM");
    await plain.exited;
    const served = spawnWorker([
      "--redis",
      redis.url,
      "--run-id",
      "user",
      "--algorithm-module",
      module,
      "--algorithm",
      "fedavg",
    ]);
    await served.waitFor(/ready: run user/);
    const viaRedis = await withRunId("user", () =>
      runExperiment({ ...options, trainer: "redis", redis: redis.url }, quietIo),
    );
    assert.equal(viaRedis.modelSha256, reference.modelSha256);
    served.kill("SIGTERM");
    await served.exited;
  });
});
