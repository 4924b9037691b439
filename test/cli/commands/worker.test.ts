import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { resolveWorkerOptions } from "../../../src/cli/commands/worker-action.js";
import { OptionsError } from "../../../src/core/errors.js";
import { DistributedError } from "../../../src/distributed/errors.js";
import { connectRedis } from "../../../src/distributed/redis-connection.js";
import { parseRedisUrl } from "../../../src/distributed/redis-url.js";
import { killAll, startRedis, watch } from "../../fixtures/distributed/redis-harness.js";
import { modulesLoadedBy } from "../../fixtures/modules-loaded.js";
import { CLI } from "../cli-helpers.js";

function startWorker(url: string, ...flags: string[]) {
  return watch(process.execPath, ["--import", "tsx", CLI, "worker", "--redis", url, ...flags]);
}

/** A worker at `--concurrency N`, once it (or each of its processes) has said it is ready. */
async function readyWorker(url: string, concurrency: string) {
  const worker = startWorker(url, "--concurrency", concurrency);
  await worker.waitFor(concurrency === "1" ? /ready: run default/ : /ready: 2 worker processes/);
  return worker;
}

describe("blazefl worker when Redis goes away", () => {
  after(killAll);

  for (const concurrency of ["1", "2"])
    it(`exits 143 on SIGTERM while Redis is unreachable (--concurrency ${concurrency})`, {
      // Before, the close waited 60 s per connection for a Redis that was gone.
      timeout: 40_000,
    }, async () => {
      const redis = await startRedis();
      const worker = await readyWorker(redis.url, concurrency);
      await redis.stop();
      await worker.waitFor(/error: .*ECONNREFUSED|error: Connection is closed/);
      worker.kill("SIGTERM");
      const { code } = await worker.exited;
      assert.equal(code, 143, worker.output);
      assert.match(worker.output, /closed: 0 done/);
    });

  for (const concurrency of ["1", "2"])
    it(`exits 129 on SIGHUP (a closed terminal), after the same graceful close (--concurrency ${concurrency})`, {
      timeout: 40_000,
    }, async () => {
      const redis = await startRedis();
      const worker = await readyWorker(redis.url, concurrency);
      worker.kill("SIGHUP");
      const { code } = await worker.exited;
      await redis.stop();
      assert.equal(code, 129, worker.output);
      assert.match(worker.output, /closed: 0 done/);
    });

  for (const concurrency of ["1", "2"])
    it(`--give-up-after exits 1 once Redis has been gone that long (--concurrency ${concurrency})`, {
      timeout: 40_000,
    }, async () => {
      const redis = await startRedis();
      const worker = startWorker(redis.url, "--concurrency", concurrency, "--give-up-after", "1");
      await worker.waitFor(
        concurrency === "1" ? /ready: run default/ : /ready: 2 worker processes/,
      );
      await redis.stop();
      const { code } = await worker.exited;
      assert.equal(code, 1, worker.output);
      assert.match(worker.output, /unreachable for 1 s \(the give-up time\); the worker stops/);
    });

  it("a URL whose database does not exist fails at connect, naming the database", async () => {
    const redis = await startRedis();
    try {
      await assert.rejects(
        connectRedis(parseRedisUrl(`${redis.url}/99`), { connectTimeoutMs: 5000 }),
        (e: unknown) =>
          e instanceof DistributedError &&
          /127\.0\.0\.1:\d+\/99 has no database 99 \(ERR DB index is out of range\)/.test(
            e.message,
          ),
      );
      const worker = startWorker(`${redis.url}/99`);
      const { code } = await worker.exited;
      assert.equal(code, 1);
      assert.match(worker.output, /has no database 99/);
      assert.doesNotMatch(worker.output, /ready/);
      // A database that exists is selected.
      const ok = await connectRedis(parseRedisUrl(`${redis.url}/3`));
      await ok.set("k", "v");
      assert.equal((await ok.info("keyspace")).includes("db3:keys=1"), true);
      ok.disconnect();
    } finally {
      await redis.stop();
    }
  });
});

describe("blazefl worker flags for hostile runs", () => {
  it("reads the limits, the give-up time and repeated --data-dir", () => {
    const o = resolveWorkerOptions(
      {
        redis: "redis://h",
        maxClients: "500",
        maxEpochs: "3",
        giveUpAfter: "2.5",
        dataDir: ["/tmp", "/"],
      },
      {},
    );
    assert.deepEqual(o.settings.limits, { maxClients: 500, maxEpochs: 3 });
    assert.equal(o.settings.giveUpAfterMs, 2500);
    assert.equal(o.settings.dataDirs?.length, 2);
    for (const [flags, option] of [
      [{ maxClients: "0" }, "--max-clients"],
      [{ maxEpochs: "1.5" }, "--max-epochs"],
      [{ giveUpAfter: "-1" }, "--give-up-after"],
      [{ dataDir: ["/no/such/dir/anywhere"] }, "--data-dir"],
    ] as const)
      assert.throws(
        () => resolveWorkerOptions({ redis: "redis://h", ...flags }, {}),
        (e: unknown) => e instanceof OptionsError && e.option === option,
        option,
      );
  });
});

describe("blazefl worker's definition", { timeout: 120_000 }, () => {
  it("loads neither ioredis nor bullmq: every command of the CLI registers it", () => {
    const isRedis = (path: string) => /node_modules\/(ioredis|bullmq)\//.test(path);
    assert.deepEqual(modulesLoadedBy("src/cli/commands/worker.ts").filter(isRedis), []);
    // The same probe sees them where the worker runs, so the check can fail.
    assert.ok(modulesLoadedBy("src/cli/commands/worker-action.ts").some(isRedis));
  });
});
