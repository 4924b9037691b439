import assert from "node:assert/strict";
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { resolveWorkerOptions, runWorker } from "../../src/cli/commands/worker-action.js";
import type { FedAvgClientConfig } from "../../src/contrib/fedavg/client-config.js";
import { createFedAvgModel } from "../../src/contrib/fedavg/model-factory.js";
import { OptionsError } from "../../src/core/errors.js";
import { DistributedError } from "../../src/distributed/errors.js";
import {
  CLIENT_JOB_NAME,
  type ClientJobData,
  EVALUATION_JOB_NAME,
  type EvaluationJobData,
} from "../../src/distributed/job-data.js";
import { RunKeyspace } from "../../src/distributed/keyspace.js";
import { closeRedis, connectRedis } from "../../src/distributed/redis-connection.js";
import { parseRedisUrl } from "../../src/distributed/redis-url.js";
import { RedisWorker, type RedisWorkerOptions } from "../../src/distributed/redis-worker.js";
import type { RedisRunConfig } from "../../src/distributed/run-config.js";
import { encodeRunConfig } from "../../src/distributed/run-config.js";
import {
  decodeEvaluationResult,
  decodeKitUplink,
  encodeVectors,
  sha256Hex,
} from "../../src/distributed/wire-format.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { tempDir, writeIdxDataset } from "../fixtures/data/builders.js";
import {
  freePort,
  killAll,
  type RedisServer,
  startRedis,
} from "../fixtures/distributed/redis-harness.js";
import {
  clientConfigOf,
  serialTestBatches,
  tinyRunOptions,
  tinyWorkload,
} from "../fixtures/distributed/workload.js";

/** The run configuration a server stores for FedAvg (or `override`) with this client config. */
function storedRun(
  c: FedAvgClientConfig,
  numParameters: number,
  override: Partial<RedisRunConfig> = {},
): RedisRunConfig {
  const { modelName, dataset, ...training } = c;
  return {
    v: 2,
    algorithm: "fedavg",
    options: {},
    training,
    model: modelName,
    dataset,
    numParameters,
    uplink: ["model"],
    downlink: [],
    stateLength: 0,
    device: "cpu",
    keyTtlMs: 600_000,
    ...override,
  };
}

// A hang fails the suite with a message instead of blocking the run forever.
describe("RedisWorker against a real redis-server", { timeout: 300_000 }, () => {
  let redis: RedisServer;
  let config: FedAvgClientConfig;
  let initial: Float32Array;
  let client: Redis;
  const closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    redis = await startRedis();
    ({ config, initial } = await tinyWorkload());
    client = await connectRedis(parseRedisUrl(redis.url));
  });
  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await closeRedis(client);
    await redis?.stop();
    await killAll();
  });

  /** A run "w" in Redis (configuration and round-0 model) and its queue, as a server makes them. */
  async function seedRun(
    runId: string,
    clientConfig = config,
    model = initial,
    algorithm: Partial<RedisRunConfig> = {},
  ) {
    const keys = new RunKeyspace("blazefl", runId);
    const run = encodeRunConfig(storedRun(clientConfig, model.length, algorithm));
    await client.set(keys.configKey(run.digest), run.bytes);
    const down = encodeVectors([["model", model]]);
    const downlinkDigest = sha256Hex(down);
    await client.set(keys.downlinkKey(0, downlinkDigest), down);
    const connection = { port: redis.port };
    const queue = new Queue(keys.queueName, { connection, prefix: "blazefl" });
    // Listen from the stream's current end, as the Redis trainer does: a QueueEvents left to
    // start at "$" begins wherever the stream is at its first read, which under load can be
    // after a job has ended, and then waitUntilFinished never settles.
    const top = await client.xrevrange(keys.eventsKey, "+", "-", "COUNT", 1);
    const events = new QueueEvents(keys.queueName, {
      connection,
      prefix: "blazefl",
      lastEventId: top[0]?.[0] ?? "0-0",
    });
    queue.on("error", () => {});
    events.on("error", () => {});
    closers.push(
      () => queue.close(),
      () => events.close(),
    );
    await events.waitUntilReady();
    const data = (cid: number): ClientJobData => ({
      v: 2,
      runId,
      round: 0,
      cid,
      configDigest: run.digest,
      downlinkDigest,
    });
    let n = 0;
    /** Adds a job and resolves with its outcome: "completed" or the failure reason. */
    const run1 = async (jobData: unknown, name = CLIENT_JOB_NAME): Promise<string> => {
      const job = await queue.add(name, jobData as ClientJobData, {
        jobId: `job-${++n}`,
        attempts: 3,
      });
      try {
        await job.waitUntilFinished(events);
        return "completed";
      } catch (error) {
        const failed = await queue.getJob(job.id as string);
        assert.equal(failed?.attemptsMade, 1, "a rejected job is not retried");
        return (error as Error).message;
      }
    };
    // `events` listens before any job of the run exists: use it, never a QueueEvents made after
    // a job was added.
    return { keys, data, run: run1, queue, events, digest: run.digest, downlinkDigest };
  }

  async function startWorker(
    runId: string,
    extra: Partial<Omit<RedisWorkerOptions, "url" | "runId">> = {},
  ) {
    const lines: string[] = [];
    const worker = new RedisWorker({
      url: redis.url,
      runId,
      log: (l) => lines.push(l),
      logError: (l) => lines.push(`ERR ${l}`),
      ...extra,
    });
    closers.push(() => worker.close());
    await worker.start();
    return { worker, lines };
  }

  it("rejects malformed, foreign and unknown-run jobs with a logged error, without retrying them", async () => {
    const seeded = await seedRun("w1");
    const { worker, lines } = await startWorker("w1");
    const good = seeded.data(3);
    const badDown = encodeVectors([["model", new Float32Array([1, 2, 3])]]);
    const badDownDigest = sha256Hex(badDown);
    await client.set(seeded.keys.downlinkKey(0, badDownDigest), badDown);
    const nanModel = initial.slice();
    nanModel[10] = Number.NaN;
    const nanDown = encodeVectors([["model", nanModel]]);
    const nanDigest = sha256Hex(nanDown);
    await client.set(seeded.keys.downlinkKey(0, nanDigest), nanDown);
    const cases: [unknown, RegExp, string?][] = [
      [good, /unknown job name "train"/, "train"],
      [{ ...good, module: "file:///tmp/evil.js" }, /Malformed job data \(unknown field "module"\)/],
      [
        { ...good, stateDigest: "e".repeat(64) },
        /the job has a client state, but the run's algorithm keeps none/,
      ],
      [{ ...good, cid: "3" }, /Malformed job data \(field "cid"/],
      [{ ...good, runId: "other" }, /belongs to run "other"; this worker serves run "w1" only/],
      [{ ...good, configDigest: "c".repeat(64) }, /unknown run: run "w1" has no configuration/],
      [{ ...good, downlinkDigest: "d".repeat(64) }, /round 0's model is not in Redis/],
      [
        { ...good, downlinkDigest: badDownDigest },
        /Round 0's model does not hold the vectors model\[610\]/,
      ],
      [{ ...good, downlinkDigest: nanDigest }, /non-finite value at index 10/],
      [{ ...good, cid: 25 }, /client 25 does not exist \(the run has 20\)/],
    ];
    for (const [data, reason, name] of cases) {
      const outcome = await seeded.run(data, name);
      assert.match(outcome, reason);
      assert.match(outcome, /^Rejected by blazefl-worker\./);
    }
    const rejected = lines.filter((l) => l.startsWith("ERR ") && / rejected: /.test(l));
    assert.equal(rejected.length, cases.length, lines.join("\n"));
    assert.equal(worker.stats.rejected, cases.length);
    assert.equal(worker.stats.completed, 0);
    // A corrupted configuration (its digest no longer matches) is rejected too.
    const corrupted = await seedRun("w4");
    await client.set(corrupted.keys.configKey(corrupted.digest), Buffer.from('{"v":1}'));
    await startWorker("w4");
    assert.match(await corrupted.run(corrupted.data(4)), /run configuration's digest is/);
  });

  it("evaluates a shard of the test set as a serial evaluation does; rejects malformed evaluation jobs, saying why", async () => {
    const seeded = await seedRun("we1");
    const { worker, lines } = await startWorker("we1");
    const ref = { round: 0, configDigest: seeded.digest, downlinkDigest: seeded.downlinkDigest };
    const shard = (firstBatch: number, endBatch: number, batchSize = 500): EvaluationJobData => ({
      v: 3,
      runId: "we1",
      ...ref,
      firstBatch,
      endBatch,
      batchSize,
    });
    // The tiny workload's test set: 844 samples, so batches 0 and 1 of 500.
    assert.equal(await seeded.run(shard(1, 2), EVALUATION_JOB_NAME), "completed");
    assert.equal(await seeded.run(shard(0, 1), EVALUATION_JOB_NAME), "completed");
    const serial = await serialTestBatches(config, initial);
    for (const b of [0, 1]) {
      const key = seeded.keys.evaluationResultKey(ref, {
        firstBatch: b,
        endBatch: b + 1,
        batchSize: 500,
      });
      const bytes = await client.getBuffer(key);
      assert.ok(bytes !== null, key);
      const got = decodeEvaluationResult(bytes, shard(b, b + 1));
      const want = serial[b] as { loss: number; accuracy: number; count: number };
      assert.deepEqual(
        [got.loss, got.accuracy, got.count],
        [[want.loss], [want.accuracy], [want.count]],
      );
    }
    assert.ok(
      lines.includes(`job job-1 started: run we1, round 0, evaluation of test batches 1 to 1`),
    );
    assert.ok(
      lines.some((l) =>
        /^job job-2 done: run we1, round 0, evaluation of test batches 0 to 0, 500 samples, /.test(
          l,
        ),
      ),
      lines.join("\n"),
    );

    const cases: [unknown, RegExp, string?][] = [
      [
        shard(0, 3),
        /test batches 0 to 2 are outside the run's test set \(844 samples: batches 0 to 1 of 500\)/,
      ],
      [
        shard(42, 44, 20),
        /test batches 42 to 43 are outside the run's test set \(844 samples: batches 0 to 42 of 20\)/,
      ],
      [
        shard(0, 1, 100_000),
        /the evaluation asks for batchSize 100000, more than this worker serves \(--max-batch-size 65536\)/,
      ],
      [shard(0, 1, 2 ** 30), /Malformed job data \(field "batchSize"/],
      [
        shard(1, 1),
        /Malformed job data \(field "endBatch": endBatch must be more than firstBatch\)/,
      ],
      [{ ...shard(0, 1), cid: 3 }, /Malformed job data \(unknown field "cid"\)/],
      [
        { ...shard(0, 1), runId: "other" },
        /belongs to run "other"; this worker serves run "we1" only/,
      ],
      [
        { ...shard(0, 1), configDigest: "c".repeat(64) },
        /unknown run: run "we1" has no configuration/,
      ],
      [{ ...shard(0, 1), downlinkDigest: "d".repeat(64) }, /round 0's model is not in Redis/],
      // Each kind's data under the other's name.
      [seeded.data(1), /Malformed job data \(field "v"/],
      [shard(0, 1), /Malformed job data \(field "v"/, CLIENT_JOB_NAME],
    ];
    for (const [jobData, reason, name] of cases) {
      const outcome = await seeded.run(jobData, name ?? EVALUATION_JOB_NAME);
      assert.match(outcome, reason);
      assert.match(outcome, /^Rejected by blazefl-worker\./);
    }
    assert.equal(worker.stats.rejected, cases.length);
    assert.equal(worker.stats.completed, 2);
  });

  it("rejects runs beyond the worker's limits (numClients 2^30, epochs 1e6) before loading anything", async () => {
    const huge = await seedRun("w5", {
      ...config,
      dataset: { ...config.dataset, numClients: 2 ** 30 },
    });
    await startWorker("w5");
    assert.match(
      await huge.run(huge.data(1)),
      /numClients 1073741824, more than this worker serves \(--max-clients 100000\)/,
    );
    const long = await seedRun("w6", { ...config, epochs: 1_000_000 });
    // An algorithm the worker was not started with, and options its schema refuses.
    const foreign = await seedRun("w9", config, initial, { algorithm: "fedevil" });
    await startWorker("w9", { algorithms: ["fedavg"] });
    assert.match(
      await foreign.run(foreign.data(1)),
      /algorithm "fedevil", which this worker was not started with \(it runs fedavg;/,
    );
    const badOptions = await seedRun("w10", config, initial, {
      algorithm: "fedprox",
      options: { mu: -1 },
    });
    await startWorker("w10");
    assert.match(
      await badOptions.run(badOptions.data(1)),
      /the run's options are not fedprox's \(mu:/,
    );
    await startWorker("w6", { limits: { maxEpochs: 5 } });
    assert.match(
      await long.run(long.data(1)),
      /epochs 1000000, more than this worker serves \(--max-epochs 5\)/,
    );
  });

  it("reads image datasets only from its own --data-dir, never from a path the run names", async () => {
    const { dir: root, cleanup } = tempDir();
    closers.push(async () => cleanup());
    const good = join(root, "good");
    await writeIdxDataset(good, { train: 40, test: 8 });
    // A directory planted by whoever wrote the run: its images file links to a secret.
    const planted = join(root, "planted");
    await writeIdxDataset(planted, { train: 40, test: 8 });
    rmSync(join(planted, "train-images-idx3-ubyte.gz"));
    writeFileSync(join(root, "shadow"), "root:$6$s3cr3t:19000:0:99999:7:::\n");
    symlinkSync(join(root, "shadow"), join(planted, "train-images-idx3-ubyte"));
    const mnist = clientConfigOf(
      tinyRunOptions({ dataset: "mnist", dataDir: planted, clients: 4, sampleRatio: 1 }),
    );
    await initEngine("cpu");
    const model = createFedAvgModel("logreg", [28, 28, 1], 10, mnist.seed);
    const params = model.getFlatParameters();
    model.dispose();

    const served = await seedRun("w7", mnist, params);
    await startWorker("w7", { dataDirs: [good] });
    assert.equal(await served.run(served.data(0)), "completed");

    // Without --data-dir the worker reads the default location only: the planted path is
    // neither read nor named, and no byte of the secret reaches Redis.
    const unserved = await seedRun("w8", mnist, params);
    const { lines } = await startWorker("w8");
    const job = await unserved.queue.add(CLIENT_JOB_NAME, unserved.data(1), {
      jobId: "planted",
      attempts: 1,
    });
    await assert.rejects(job.waitUntilFinished(unserved.events), (e: unknown) => {
      const reason = (e as Error).message;
      for (const leak of ["s3cr3t", "root:", planted]) assert.ok(!reason.includes(leak), reason);
      return true;
    });
    assert.ok(!lines.join("\n").includes("s3cr3t"));
  });

  it("rejects a diverged client's result, naming the value, and does not retry it", async () => {
    // Finite weights whose logits overflow: the first step's gradient is not finite.
    const seeded = await seedRun("wd", config, new Float32Array(initial.length).fill(3e38));
    const { worker, lines } = await startWorker("wd");
    assert.match(
      await seeded.run(seeded.data(6)),
      /training diverged: model\[\d+\] is (NaN|-?Infinity)$/,
    );
    assert.ok(lines.some((l) => l.startsWith("ERR ") && /training diverged/.test(l)));
    assert.equal(worker.stats.rejected, 1);
  });

  it("a job run twice gives the same vectors; one line per job", async () => {
    const seeded = await seedRun("w2");
    const { lines } = await startWorker("w2");
    const key = seeded.keys.resultKey(seeded.data(6), 6);
    const expected = {
      cid: 6,
      round: 0,
      uplinkNames: ["model"],
      numParameters: initial.length,
      stateLength: 0,
    };
    assert.equal(await seeded.run(seeded.data(6)), "completed");
    const first = await client.getBuffer(key);
    assert.ok(first !== null);
    await client.del(key);
    assert.equal(await seeded.run(seeded.data(6)), "completed");
    const second = await client.getBuffer(key);
    assert.ok(second !== null);
    // Unsigned here (the seeded run has no result key); only the timing metric may differ.
    const [a, b] = [first, second].map((bytes) => decodeKitUplink(bytes, expected));
    assert.deepEqual(a?.vectors, b?.vectors);
    assert.deepEqual(
      [a?.weight, a?.steps, a?.metrics.loss],
      [b?.weight, b?.steps, b?.metrics.loss],
    );
    assert.ok((await client.pttl(key)) > 0, "results expire");
    assert.equal(lines.filter((l) => / started: run w2, round 0, client 6$/.test(l)).length, 2);
    assert.equal(lines.filter((l) => / done: run w2, round 0, client 6, /.test(l)).length, 2);
  });

  it("closing mid-job gives the job back to the queue without spending an attempt", async () => {
    const seeded = await seedRun("w3");
    let closing: Promise<void> | undefined;
    let closeCalled!: () => void;
    const closeStarted = new Promise<void>((resolve) => {
      closeCalled = resolve;
    });
    const first = await startWorker("w3", {
      beforeTrain: async () => {
        closing ??= first.worker.close();
        closeCalled();
      },
    });
    const job = await seeded.queue.add(CLIENT_JOB_NAME, seeded.data(2), {
      jobId: "give-back",
      attempts: 1,
    });
    await closeStarted;
    await closing;
    assert.equal(first.worker.stats.requeued, 1);
    assert.equal(await seeded.queue.getJobState("give-back"), "waiting");
    assert.ok(first.lines.some((l) => /given back to the queue/.test(l)));
    const second = await startWorker("w3");
    await job.waitUntilFinished(seeded.events);
    assert.equal(second.worker.stats.completed, 1);
    assert.equal((await seeded.queue.getJob("give-back"))?.attemptsMade, 1);
  });
});

describe("blazefl worker flags", () => {
  it("resolves defaults and reads the URL from BLAZEFL_REDIS_URL", () => {
    const o = resolveWorkerOptions({}, { BLAZEFL_REDIS_URL: "redis://:pw@h:1" });
    assert.equal(o.concurrency, 1);
    assert.equal(o.settings.url, "redis://:pw@h:1");
    assert.equal(o.settings.runId, "default");
    const p = resolveWorkerOptions(
      {
        redis: "rediss://h:2",
        concurrency: "3",
        runId: "exp",
        lockDuration: "1000",
        stalledInterval: "500",
        maxStalled: "4",
        device: "cpu",
      },
      {},
    );
    assert.equal(p.concurrency, 3);
    assert.deepEqual(
      [p.settings.lockDurationMs, p.settings.stalledIntervalMs, p.settings.maxStalledCount],
      [1000, 500, 4],
    );
  });

  it("names the flag when a value is bad", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "--redis"],
      [{ redis: "tcp://h" }, "--redis"],
      [{ redis: "redis://h", concurrency: "0" }, "--concurrency"],
      [{ redis: "redis://h", concurrency: "two" }, "--concurrency"],
      [{ redis: "redis://h", runId: "a b" }, "--run-id"],
      [{ redis: "redis://h", prefix: "x:y" }, "--prefix"],
      [{ redis: "redis://h", device: "gpu" }, "--device"],
      [{ redis: "redis://h", lockDuration: "-1" }, "--lock-duration"],
      [{ redis: "redis://h", bogus: "1" }, "--bogus"],
    ];
    for (const [flags, option] of cases)
      assert.throws(
        () => resolveWorkerOptions(flags, {}),
        (e: unknown) => e instanceof OptionsError && e.option === option,
        `${JSON.stringify(flags)} -> ${option}`,
      );
  });

  it("gives up on an unreachable Redis with a DistributedError (exit 1), in one or many processes", async () => {
    const url = `redis://:secret@127.0.0.1:${await freePort()}`;
    for (const concurrency of ["1", "3"])
      await assert.rejects(
        runWorker(resolveWorkerOptions({ redis: url, connectTimeout: "800", concurrency }, {})),
        (e: unknown) =>
          e instanceof DistributedError &&
          /^Could not connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: not ready after 800 ms/.test(
            e.message,
          ) &&
          !e.message.includes("secret"),
      );
  });
});
