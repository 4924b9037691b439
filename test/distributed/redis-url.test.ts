import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { redisTrainerEnvOptions, resolveRedisUrl } from "../../src/distributed/env-options.js";
import { redisOptions } from "../../src/distributed/redis-connection.js";
import { parseRedisUrl, redactRedisUrl } from "../../src/distributed/redis-url.js";

describe("parseRedisUrl", () => {
  it("reads host, port and database, with defaults", () => {
    assert.deepEqual(parseRedisUrl("redis://10.1.2.3"), {
      host: "10.1.2.3",
      port: 6379,
      db: 0,
      redacted: "redis://10.1.2.3",
    });
    const c = parseRedisUrl("redis://cache.example:7000/3");
    assert.equal(c.host, "cache.example");
    assert.equal(c.port, 7000);
    assert.equal(c.db, 3);
    assert.equal(c.tls, undefined);
  });

  it("reads a password alone, or a user and a password, percent-decoded, and hides them", () => {
    const p = parseRedisUrl("redis://:s3cr%40t@127.0.0.1:6380");
    assert.equal(p.password, "s3cr@t");
    assert.equal(p.username, undefined);
    assert.equal(p.redacted, "redis://:***@127.0.0.1:6380");
    const u = parseRedisUrl("redis://alice:pw@127.0.0.1:6380");
    assert.equal(u.username, "alice");
    assert.equal(u.password, "pw");
    assert.ok(!u.redacted.includes("pw"));
  });

  it("turns rediss:// into a TLS configuration (SNI for names, none for IP addresses)", () => {
    const named = parseRedisUrl("rediss://:pw@redis.example.org:6380");
    assert.deepEqual(named.tls, { servername: "redis.example.org" });
    const ip = parseRedisUrl("rediss://127.0.0.1:6380");
    assert.deepEqual(ip.tls, {});
    const v6 = parseRedisUrl("rediss://[::1]:6380");
    assert.equal(v6.host, "::1");
    assert.deepEqual(v6.tls, {});
    // The client options carry it through, merged with extra TLS options (a private CA).
    const options = redisOptions(named, { tls: { ca: "PEM" } });
    assert.deepEqual(options.tls, { servername: "redis.example.org", ca: "PEM" });
    assert.equal(options.password, "pw");
    assert.equal(options.maxRetriesPerRequest, null);
    assert.equal(redisOptions(parseRedisUrl("redis://h")).tls, undefined);
  });

  it("rejects anything else with an OptionsError that names the option and hides passwords", () => {
    for (const bad of [
      "",
      "localhost:6379",
      "http://host:6379",
      "redis://:pw@host:99999",
      "redis://host/notadb",
      "redis://host:6379?db=2",
      "redis://",
      42,
    ]) {
      assert.throws(
        () => parseRedisUrl(bad, "--redis"),
        (error: unknown) => error instanceof OptionsError && error.option === "--redis",
        String(bad),
      );
    }
    assert.throws(
      () => parseRedisUrl("redis://:topsecret@host:99999"),
      (error: unknown) => error instanceof Error && !error.message.includes("topsecret"),
    );
  });

  it("resolveRedisUrl takes --redis, else $BLAZEFL_REDIS_URL, and never shows the password", () => {
    const env = { BLAZEFL_REDIS_URL: "redis://:from-env@h:1" };
    assert.equal(resolveRedisUrl(undefined, env), "redis://:from-env@h:1");
    assert.equal(resolveRedisUrl("redis://h:2", env), "redis://h:2");
    assert.throws(
      () => resolveRedisUrl(undefined, {}),
      (e: unknown) =>
        e instanceof OptionsError && e.option === "--redis" && /BLAZEFL_REDIS_URL/.test(e.message),
    );
    assert.throws(
      () => resolveRedisUrl(undefined, { BLAZEFL_REDIS_URL: "http://:hunter2@h" }),
      (e: unknown) =>
        e instanceof OptionsError &&
        e.option === "BLAZEFL_REDIS_URL" &&
        !e.message.includes("hunter2"),
    );
    // What config.json and logs get: the URL without its password.
    const stored = redactRedisUrl("rediss://alice:p%40ss:w0rd@redis.lab:6380/3");
    assert.equal(stored, "rediss://alice:***@redis.lab:6380/3");
    assert.ok(!stored.includes("w0rd"));
  });

  it("redacts passwords in anything that looks like a URL", () => {
    assert.equal(redactRedisUrl("redis://u:p@h:1"), "redis://u:***@h:1");
    assert.equal(redactRedisUrl("redis://h:1"), "redis://h:1");
    assert.ok(!redactRedisUrl("not a url //user:secret@x").includes("secret"));
  });
});

describe("redisTrainerEnvOptions", () => {
  it("reads the run id, prefix and timeouts from the environment", () => {
    assert.deepEqual(redisTrainerEnvOptions({}), {});
    assert.deepEqual(
      redisTrainerEnvOptions({
        BLAZEFL_RUN_ID: "exp-1",
        BLAZEFL_REDIS_PREFIX: "lab",
        BLAZEFL_REDIS_CONNECT_TIMEOUT_MS: "2500",
        BLAZEFL_REDIS_RESULT_TIMEOUT_MS: "60000",
      }),
      { runId: "exp-1", prefix: "lab", connectTimeoutMs: 2500, resultTimeoutMs: 60000 },
    );
  });

  it("names the variable when a value is bad", () => {
    assert.throws(
      () => redisTrainerEnvOptions({ BLAZEFL_RUN_ID: "a b" }),
      (e: unknown) => e instanceof OptionsError && e.option === "BLAZEFL_RUN_ID",
    );
    assert.throws(
      () => redisTrainerEnvOptions({ BLAZEFL_REDIS_RESULT_TIMEOUT_MS: "soon" }),
      (e: unknown) => e instanceof OptionsError && e.option === "BLAZEFL_REDIS_RESULT_TIMEOUT_MS",
    );
  });
});
