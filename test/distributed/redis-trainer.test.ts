import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { fedAvg } from "../../src/contrib/fedavg/algorithm.js";
import type { FedAvgClientConfig } from "../../src/contrib/fedavg/client-config.js";
import { AbortError, OptionsError } from "../../src/core/errors.js";
import { DistributedError } from "../../src/distributed/errors.js";
import { closeRedis, connectRedis } from "../../src/distributed/redis-connection.js";
import {
  RedisClientTrainer,
  type RedisClientTrainerOptions,
} from "../../src/distributed/redis-trainer.js";
import { parseRedisUrl } from "../../src/distributed/redis-url.js";
import { RedisWorker, type RedisWorkerOptions } from "../../src/distributed/redis-worker.js";
import {
  encodeEvaluationResult,
  encodeKitUplink,
  encodeVectors,
  float32Bytes,
  sha256Hex,
  signUplink,
} from "../../src/distributed/wire-format.js";
import type { KitClientConfig, KitUplink } from "../../src/kit/client-runner.js";
import { type KitJobs, KitSerialClientTrainer } from "../../src/kit/kit-trainers.js";
import { algorithmRef } from "../../src/kit/registry.js";
import { resolveModelSpec } from "../../src/models/create-model.js";
import {
  freePort,
  killAll,
  type RedisServer,
  selfSignedCertificate,
  startRedis,
} from "../fixtures/distributed/redis-harness.js";
import { serialTestBatches, tinyWorkload } from "../fixtures/distributed/workload.js";

/** FedAvg through the kit, as runExperiment hands it to the Redis trainer. */
function kit(c: FedAvgClientConfig, numParameters: number, onClientDone?: (cid: number) => void) {
  const { modelName, dataset, ...training } = c;
  const shared: KitClientConfig = {
    algorithm: algorithmRef("fedavg"),
    options: {},
    training,
    model: resolveModelSpec(modelName),
    dataset,
  };
  const jobs: KitJobs = {
    configFor: () => shared,
    uplinkNames: ["model"],
    numParameters,
    stateLength: 0,
    ...(onClientDone !== undefined ? { onClientDone } : {}),
  };
  return { algorithm: fedAvg, config: shared, jobs };
}

/**
 * The kit of {@link kit} whose entries 0, 1, … evaluate `shards` of the test set (batches of
 * 500), as runExperiment's evaluation sets them; `onClientDone` records the entries reported.
 */
function evaluationKit(
  c: FedAvgClientConfig,
  numParameters: number,
  shards: readonly { firstBatch: number; endBatch: number }[],
  reported: number[] = [],
) {
  const base = kit(c, numParameters, (cid) => reported.push(cid));
  const configs = new Map<number, KitClientConfig>(
    shards.map((shard, i) => [
      i,
      { ...base.config, task: { kind: "evaluate", batchSize: 500, ...shard } },
    ]),
  );
  return {
    ...base,
    jobs: { ...base.jobs, configFor: (cid: number) => configs.get(cid) ?? base.config },
  };
}

describe("RedisClientTrainer against a real redis-server", () => {
  let redis: RedisServer;
  let config: FedAvgClientConfig;
  let initial: Float32Array;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    redis = await startRedis();
    ({ config, initial } = await tinyWorkload());
  });
  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await redis?.stop();
    await killAll();
  });

  const trainer = (options: Partial<RedisClientTrainerOptions> = {}) => {
    const t = new RedisClientTrainer({
      url: redis.url,
      ...kit(config, initial.length),
      pollIntervalMs: 200,
      ...options,
    });
    closers.push(() => t.shutdown());
    return t;
  };
  const worker = async (options: Partial<RedisWorkerOptions> = {}) => {
    const lines: string[] = [];
    const w = new RedisWorker({
      url: redis.url,
      log: (l) => lines.push(l),
      logError: (l) => lines.push(`ERR ${l}`),
      ...options,
    });
    closers.push(() => w.close());
    await w.start();
    return { worker: w, lines };
  };
  const serialResults = async (round: number, params: Float32Array, cids: number[]) => {
    const serial = new KitSerialClientTrainer(kit(config, initial.length).jobs, "cpu");
    await serial.localProcess({ round, model: params, vectors: {} }, cids);
    return serial.uplinkPackage();
  };
  const client = async () => {
    const c = await connectRedis(parseRedisUrl(redis.url));
    closers.push(() => closeRedis(c));
    return c;
  };
  const sameBits = (a: KitUplink[], b: KitUplink[]) => {
    assert.deepEqual(
      a.map((p) => p.cid),
      b.map((p) => p.cid),
    );
    for (const [i, p] of a.entries()) {
      const q = b[i] as KitUplink;
      assert.equal(
        sha256Hex(float32Bytes(p.vectors.model as Float32Array)),
        sha256Hex(float32Bytes(q.vectors.model as Float32Array)),
      );
      assert.equal(p.weight, q.weight);
      assert.equal(p.metrics.loss, q.metrics.loss);
    }
  };

  it("trains on a worker, in cidList order, bit-identical to the serial trainer; keys are namespaced and a finished round's keys expire", async () => {
    await worker({ runId: "t1" });
    const done: number[] = [];
    const t = trainer({
      runId: "t1",
      finishedRoundTtlMs: 30_000,
      ...kit(config, initial.length, (cid) => done.push(cid)),
    });
    await t.start();
    await t.localProcess({ round: 0, model: initial, vectors: {} }, [13, 2, 7]);
    const first = t.uplinkPackage();
    assert.deepEqual(
      done.sort((a, b) => a - b),
      [2, 7, 13],
    );
    sameBits(first, await serialResults(0, initial, [13, 2, 7]));
    assert.deepEqual(t.uplinkPackage(), []);

    const next = (first[0] as KitUplink).vectors.model as Float32Array;
    await t.localProcess({ round: 1, model: next, vectors: {} }, [5, 9]);
    sameBits(t.uplinkPackage(), await serialResults(1, next, [5, 9]));

    const c = await client();
    const keys = (await c.keys("*")).filter((k) => !k.startsWith("blazefl:clients-"));
    assert.ok(keys.length > 0);
    for (const key of keys) assert.match(key, /^blazefl:run:t1:/);
    const round0 = keys.filter((k) => k.includes(":r0:"));
    const round1 = keys.filter((k) => k.includes(":r1:"));
    assert.ok(round0.length === 4 && round1.length === 3, keys.join("\n"));
    // Round 0 is over: its keys now expire within finishedRoundTtlMs; round 1's live on.
    for (const key of round0) {
      const ttl = await c.pttl(key);
      assert.ok(ttl > 0 && ttl <= 30_000, `${key} ${ttl}`);
    }
    for (const key of round1) assert.ok((await c.pttl(key)) > 30_000, key);
    await t.shutdown();
    for (const key of [...round1, ...keys.filter((k) => k.includes(":config:"))]) {
      const ttl = await c.pttl(key);
      assert.ok(ttl > 0 && ttl <= 30_000, `${key} ${ttl}`);
    }
  });

  it("a restarted server reuses the results already in Redis and queues nothing again", async () => {
    const { worker: w } = await worker({ runId: "t2" });
    // The same result key (kept by the run, e.g. in its --out): the old results verify.
    const resultSecret = new TextEncoder().encode("the run's own secret, 32+ bytes..");
    const a = trainer({ runId: "t2", resultSecret });
    await a.localProcess({ round: 0, model: initial, vectors: {} }, [4, 11]);
    const first = a.uplinkPackage();
    await a.shutdown();
    await w.close(); // no worker from here on
    const b = trainer({ runId: "t2", resultTimeoutMs: 10_000, resultSecret });
    await b.localProcess({ round: 0, model: initial, vectors: {} }, [11, 4]);
    const again = b.uplinkPackage();
    sameBits(again, [first[1], first[0]] as KitUplink[]);
    const queue = new Queue("clients-t2", { connection: { port: redis.port }, prefix: "blazefl" });
    queue.on("error", () => {});
    closers.push(() => queue.close());
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed");
    assert.deepEqual(counts, { waiting: 0, active: 0, delayed: 0, failed: 0 });
  });

  it("rejects with an AbortError as soon as the stop event is set, and trains again once cleared", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const t = trainer({ runId: "t3" });
    let calls = 0;
    await worker({
      runId: "t3",
      beforeTrain: async () => {
        calls++;
        if (calls === 1) {
          t.stopEvent.set();
          await released;
        }
      },
    });
    await assert.rejects(
      t.localProcess({ round: 0, model: initial, vectors: {} }, [1]),
      AbortError,
    );
    await assert.rejects(
      t.localProcess({ round: 0, model: initial, vectors: {} }, [1]),
      AbortError,
    );
    release();
    t.stopEvent.clear();
    await t.localProcess({ round: 0, model: initial, vectors: {} }, [1]);
    assert.equal(t.uplinkPackage().length, 1);
  });

  it("never hangs without workers: a DistributedError names the missing clients after resultTimeoutMs", async () => {
    const t = trainer({ runId: "t4", resultTimeoutMs: 400 });
    await assert.rejects(
      t.localProcess({ round: 0, model: initial, vectors: {} }, [3, 8]),
      (e: unknown) =>
        e instanceof DistributedError &&
        /No client result for 400 ms in round 0; still waiting for clients 3, 8/.test(e.message) &&
        /0 workers serve queue clients-t4/.test(e.message),
    );
  });

  it("fails the call when a stored result is malformed (though signed with the run's key)", async () => {
    const resultSecret = new Uint8Array(32).fill(7);
    const t = trainer({ runId: "t5", resultTimeoutMs: 5000, resultSecret });
    const c = await client();
    const ref = {
      round: 0,
      downlinkDigest: sha256Hex(encodeVectors([["model", initial]])),
      configDigest: t.configDigest,
    };
    const key = t.keys.resultKey(ref, 6);
    const runKey = createHash("sha256").update(resultSecret).digest();
    await c.set(key, signUplink(Buffer.from("forged"), runKey, key));
    await assert.rejects(
      t.localProcess({ round: 0, model: initial, vectors: {} }, [6]),
      (e: unknown) =>
        e instanceof DistributedError && /client 6 .*(bad header|truncated)/.test(e.message),
    );
  });

  it("ignores forged results planted under the run's result keys and uses the workers' own", async () => {
    const notices: string[] = [];
    const t = trainer({ runId: "t6", log: (l) => notices.push(l) });
    await t.start();
    const c = await client();
    const ref = {
      round: 0,
      downlinkDigest: sha256Hex(encodeVectors([["model", initial]])),
      configDigest: t.configDigest,
    };
    // A well-formed result that would take over the average: huge weight, chosen parameters.
    const forged = encodeKitUplink(
      {
        cid: 2,
        weight: 1e9,
        steps: 1,
        metrics: { loss: 0 },
        vectors: { model: new Float32Array(initial.length).fill(1) },
      },
      0,
      ["model"],
    );
    await c.set(t.keys.resultKey(ref, 2), forged);
    await worker({ runId: "t6" });
    await t.localProcess({ round: 0, model: initial, vectors: {} }, [2, 9]);
    sameBits(t.uplinkPackage(), await serialResults(0, initial, [2, 9]));
    assert.ok(
      notices.some((n) => /ignored a result for client 2 \(round 0\) not signed/.test(n)),
      notices.join("\n"),
    );
  });

  it("evaluates test-set shards on the workers, bit-identical to a serial evaluation; ignores a forged evaluation result; shards are not clients", async () => {
    const notices: string[] = [];
    const reported: number[] = [];
    const shards = [
      { firstBatch: 0, endBatch: 1 },
      { firstBatch: 1, endBatch: 2 },
    ];
    const t = trainer({
      runId: "t9",
      log: (l) => notices.push(l),
      ...evaluationKit(config, initial.length, shards, reported),
    });
    await t.start();
    const c = await client();
    const ref = {
      round: 1,
      downlinkDigest: sha256Hex(encodeVectors([["model", initial]])),
      configDigest: t.configDigest,
    };
    // Well-formed but unsigned: a perfect score that would replace the real one.
    const forgedKey = t.keys.evaluationResultKey(ref, {
      firstBatch: 0,
      endBatch: 1,
      batchSize: 500,
    });
    await c.set(
      forgedKey,
      encodeEvaluationResult({
        round: 1,
        firstBatch: 0,
        endBatch: 1,
        batchSize: 500,
        loss: [0],
        accuracy: [1],
        count: [500],
      }),
    );
    const { lines } = await worker({ runId: "t9" });
    await t.localProcess({ round: 1, model: initial, vectors: {} }, [0, 1]);
    const packages = t.uplinkPackage();
    const serial = await serialTestBatches(config, initial);
    assert.deepEqual(
      packages.map((p) => p.cid),
      [0, 1],
    );
    for (const [b, want] of serial.entries()) {
      const metrics = (packages[b] as KitUplink).metrics;
      assert.deepEqual(
        [metrics[`loss:${b}`], metrics[`accuracy:${b}`], metrics[`count:${b}`]],
        [want.loss, want.accuracy, want.count],
      );
      assert.deepEqual((packages[b] as KitUplink).vectors, {}, "no vector comes back");
    }
    assert.ok(
      notices.some((n) =>
        /ignored a result for the evaluation of test batches 0 to 0 \(round 1\) not signed/.test(n),
      ),
      notices.join("\n"),
    );
    assert.deepEqual(reported, [], "evaluation shards never reach onClientDone (progress bars)");
    assert.equal(
      lines.filter((l) => /done: run t9, round 1, evaluation of test batches/.test(l)).length,
      2,
    );
  });

  it("fails an evaluation whose signed result is not an evaluation (a client's result moved there)", async () => {
    const resultSecret = new Uint8Array(32).fill(9);
    const shards = [{ firstBatch: 0, endBatch: 2 }];
    const t = trainer({
      runId: "t10",
      resultTimeoutMs: 5000,
      resultSecret,
      ...evaluationKit(config, initial.length, shards),
    });
    const c = await client();
    const ref = {
      round: 1,
      downlinkDigest: sha256Hex(encodeVectors([["model", initial]])),
      configDigest: t.configDigest,
    };
    const key = t.keys.evaluationResultKey(ref, { firstBatch: 0, endBatch: 2, batchSize: 500 });
    const clientResult = encodeKitUplink(
      { cid: 0, weight: 1, steps: 1, metrics: {}, vectors: { model: initial } },
      1,
      ["model"],
    );
    const runKey = createHash("sha256").update(resultSecret).digest();
    await c.set(key, signUplink(clientResult, runKey, key));
    await assert.rejects(
      t.localProcess({ round: 1, model: initial, vectors: {} }, [0]),
      (e: unknown) =>
        e instanceof DistributedError &&
        /The evaluation of test batches 0 to 1 \(round 1\) is not an evaluation result/.test(
          e.message,
        ),
    );
  });

  it("a worker that predates evaluation jobs fails the evaluation clearly; calls are all evaluation or all training", async () => {
    const t = trainer({
      runId: "t11",
      resultTimeoutMs: 20_000,
      ...evaluationKit(config, initial.length, [{ firstBatch: 0, endBatch: 2 }]),
    });
    // The check a worker made before evaluation jobs existed: only "client" jobs, else rejected.
    const old = new Worker(
      "clients-t11",
      async (job) => {
        if (job.name !== "client")
          throw new UnrecoverableError(
            `Rejected by old-worker: unknown job name ${JSON.stringify(job.name)}`,
          );
      },
      { connection: { port: redis.port }, prefix: "blazefl" },
    );
    old.on("error", () => {});
    closers.push(() => old.close());
    await assert.rejects(
      t.localProcess({ round: 1, model: initial, vectors: {} }, [0]),
      (e: unknown) =>
        e instanceof DistributedError &&
        /^The evaluation of test batches 0 to 1 \(round 1\) failed on a worker: Rejected by old-worker: unknown job name "evaluate" \(that worker predates evaluation jobs: run the server's BlazeFL version on every worker\)$/.test(
          e.message,
        ),
    );
    // An evaluation entry beside a client, and a warm-up, are refused before anything is queued.
    const mixed = new RedisClientTrainer({
      url: "redis://127.0.0.1:1",
      ...evaluationKit(config, initial.length, [{ firstBatch: 0, endBatch: 2 }]),
    });
    closers.push(() => mixed.shutdown());
    await assert.rejects(
      mixed.localProcess({ round: 1, model: initial, vectors: {} }, [0, 5]),
      (e: unknown) => e instanceof OptionsError && e.option === "configFor(5).task",
    );
    const warm = kit(config, initial.length);
    const warmup = new RedisClientTrainer({
      url: "redis://127.0.0.1:1",
      ...warm,
      jobs: { ...warm.jobs, configFor: () => ({ ...warm.config, task: { kind: "warmup" } }) },
    });
    closers.push(() => warmup.shutdown());
    await assert.rejects(
      warmup.localProcess({ round: 0, model: initial, vectors: {} }, [0]),
      (e: unknown) => e instanceof OptionsError && e.option === "configFor(0).task",
    );
  });

  it("refuses a result whose data size is not the client's", async () => {
    const t = trainer({ runId: "t7", resultTimeoutMs: 20_000, clientDataSize: () => 1 });
    await worker({ runId: "t7" });
    await assert.rejects(
      t.localProcess({ round: 0, model: initial, vectors: {} }, [5]),
      (e: unknown) =>
        e instanceof DistributedError &&
        /client 5 \(round 0\) has weight \d+, more than the client's 1 samples/.test(e.message),
    );
  });

  it("Redis emptied mid-round (a restart without persistence): the round's data is stored again", async () => {
    const notices: string[] = [];
    const t = trainer({ runId: "t8", resultTimeoutMs: 30_000, log: (l) => notices.push(l) });
    const c = await client();
    const call = t.localProcess({ round: 0, model: initial, vectors: {} }, [3, 14]);
    const queue = new Queue("clients-t8", { connection: { port: redis.port }, prefix: "blazefl" });
    queue.on("error", () => {});
    closers.push(() => queue.close());
    while (((await queue.getJobCounts("waiting")).waiting ?? 0) < 2)
      await new Promise((r) => setTimeout(r, 50));
    await c.flushall();
    // A worker that has never seen the run: it needs the configuration and model in Redis.
    await worker({ runId: "t8" });
    await call;
    sameBits(t.uplinkPackage(), await serialResults(0, initial, [3, 14]));
    assert.ok(
      notices.some((n) => /Redis had lost round 0's model or the run configuration/.test(n)),
      notices.join("\n"),
    );
  });

  it("validates its options and arguments", async () => {
    const base = { ...kit(config, initial.length), url: "redis://127.0.0.1:1" };
    for (const [options, option] of [
      [{ url: "http://x" }, "url"],
      [{ runId: "a:b" }, "runId"],
      [{ prefix: "" }, "prefix"],
      [{ resultTimeoutMs: 0 }, "resultTimeoutMs"],
      [{ attempts: 1.5 }, "attempts"],
      [{ device: "tpu" }, "device"],
      [{ jobs: { ...kit(config, initial.length).jobs, numParameters: 0 } }, "jobs.numParameters"],
    ] as const)
      assert.throws(
        () => new RedisClientTrainer({ ...base, ...options }),
        (e: unknown) => e instanceof OptionsError && e.option === option,
        option,
      );
    const t = new RedisClientTrainer(base);
    const payload = { round: 0, model: initial, vectors: {} };
    await assert.rejects(t.localProcess(payload, [20]), /cidList\[0\]/);
    await assert.rejects(t.localProcess(payload, [1, 1]), OptionsError);
    await assert.rejects(
      t.localProcess({ round: 0, model: new Float32Array(3), vectors: {} }, [1]),
      /payload.model/,
    );
    const nan = initial.slice();
    nan[4] = Number.NaN;
    await assert.rejects(t.localProcess({ round: 0, model: nan, vectors: {} }, [1]), /\[4\]/);
    await t.localProcess(payload, []); // nothing to do, no connection needed
    await t.shutdown();
  });

  it("an unreachable Redis is retried with backoff, then fails with a clear DistributedError", async () => {
    const port = await freePort(); // nothing listens there
    const t = new RedisClientTrainer({
      url: `redis://:hunter2@127.0.0.1:${port}`,
      ...kit(config, initial.length),
      connectTimeoutMs: 1200,
    });
    const check = (e: unknown) => {
      assert.ok(e instanceof DistributedError, String(e));
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}: not ready after 1200 ms`));
      const attempts = Number(/\((\d+) attempts/.exec(e.message)?.[1]);
      assert.ok(attempts >= 2, e.message);
      assert.match(e.message, /ECONNREFUSED/);
      assert.ok(!e.message.includes("hunter2"));
      return true;
    };
    await assert.rejects(t.start(), check);
    await assert.rejects(t.localProcess({ round: 0, model: initial, vectors: {} }, [1]), check);
    await t.shutdown();
    // The stop event (Ctrl+C) does not wait for the connect timeout, nor does shutdown.
    const patient = new RedisClientTrainer({
      url: `redis://127.0.0.1:${port}`,
      ...kit(config, initial.length),
      connectTimeoutMs: 600_000,
    });
    const starting = patient.start();
    patient.stopEvent.set();
    await assert.rejects(starting, AbortError);
    await patient.shutdown();
    const worker = new RedisWorker({
      url: `redis://127.0.0.1:${port}`,
      connectTimeoutMs: 600_000,
    });
    const workerStarting = worker.start();
    await worker.close();
    await assert.rejects(workerStarting, AbortError);
  });
});

describe("Redis with a password", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ password: "p@ss word" });
  });
  after(async () => {
    await redis?.stop();
    await killAll();
  });

  it("connects with the URL's password, and refuses a wrong or missing one at once", async () => {
    assert.match(redis.url, /^redis:\/\/:p%40ss%20word@127\.0\.0\.1:\d+$/);
    const { config, initial } = await tinyWorkload();
    const t = new RedisClientTrainer({ url: redis.url, ...kit(config, initial.length) });
    const w = new RedisWorker({ url: redis.url });
    try {
      await w.start();
      await t.localProcess({ round: 0, model: initial, vectors: {} }, [0]);
      assert.equal(t.uplinkPackage().length, 1);
    } finally {
      await t.shutdown();
      await w.close();
    }
    const wrong = redis.url.replace("p%40ss%20word", "nope");
    const noPassword = `redis://127.0.0.1:${redis.port}`;
    for (const url of [wrong, noPassword]) {
      const bad = new RedisClientTrainer({
        url,
        ...kit(config, initial.length),
        connectTimeoutMs: 20_000,
      });
      await assert.rejects(
        bad.start(),
        (e: unknown) =>
          e instanceof DistributedError &&
          /authentication failed|NOAUTH/.test(e.message) &&
          !/not ready after/.test(e.message) &&
          !e.message.includes("nope"),
      );
      await assert.rejects(new RedisWorker({ url }).start(), DistributedError);
    }
  });
});

describe("Redis over TLS (rediss://)", () => {
  const certificate = selfSignedCertificate();
  let redis: RedisServer | undefined;
  let tlsProblem: string | undefined = certificate === undefined ? "openssl is missing" : undefined;
  before(async () => {
    if (certificate === undefined) return;
    try {
      redis = await startRedis({
        tls: { cert: certificate.cert, key: certificate.key, ca: certificate.cert },
      });
    } catch (error) {
      tlsProblem = `this redis-server cannot serve TLS (${String(error).split("\n")[0]})`;
    }
  });
  after(async () => {
    await redis?.stop();
    if (certificate !== undefined) rmSync(certificate.dir, { recursive: true, force: true });
    await killAll();
  });

  it("connects when the server's certificate is trusted, and refuses it otherwise", async () => {
    if (redis === undefined || certificate === undefined) {
      assert.fail(
        `${tlsProblem} (\`npm run setup\` installs openssl and a TLS-capable redis-server)`,
      );
    }
    assert.match(redis.url, /^rediss:\/\//);
    const ca = readFileSync(certificate.cert, "utf8");
    const client = await connectRedis(parseRedisUrl(redis.url), { tls: { ca } });
    try {
      assert.equal(await client.ping(), "PONG");
      assert.ok(client.options.tls !== undefined);
    } finally {
      await closeRedis(client);
    }
    await assert.rejects(
      connectRedis(parseRedisUrl(redis.url), { connectTimeoutMs: 1000 }),
      (e: unknown) => e instanceof DistributedError && /certificate/i.test(e.message),
    );
    // A plain connection to the TLS port never becomes ready either.
    await assert.rejects(
      connectRedis(parseRedisUrl(redis.url.replace("rediss:", "redis:")), {
        connectTimeoutMs: 800,
      }),
      DistributedError,
    );
  });
});
