import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort } from "../fixtures/distributed/redis-harness.js";
import { CLI, finished } from "./cli-helpers.js";

const PASSWORD = "hunter2-s3cret";

/** `blazefl run --trainer redis` against a port nobody listens on: it fails at connect. */
function runAgainstNothing(args: readonly string[], env: NodeJS.ProcessEnv) {
  return finished(
    spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        CLI,
        "run",
        "--trainer",
        "redis",
        "--clients",
        "10",
        "--rounds",
        "1",
        "--model",
        "logreg",
        "--quiet",
        ...args,
      ],
      {
        env: { ...process.env, BLAZEFL_REDIS_CONNECT_TIMEOUT_MS: "300", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    ),
  );
}

function everythingWritten(dir: string): string {
  let all = "";
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) all += readFileSync(join(entry.parentPath, entry.name)).toString("latin1");
  return all;
}

describe("blazefl run and the Redis password", () => {
  it("takes the URL from $BLAZEFL_REDIS_URL and writes it to config.json redacted", async (t) => {
    const out = mkdtempSync(join(tmpdir(), "blazefl-secret-run-"));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const url = `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`;
    const result = await runAgainstNothing(["--out", out], { BLAZEFL_REDIS_URL: url });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Could not connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as {
      redis: string;
    };
    assert.match(config.redis, /^redis:\/\/:\*\*\*@127\.0\.0\.1:\d+$/);
    for (const text of [result.stdout, result.stderr, everythingWritten(out)])
      assert.ok(!text.includes(PASSWORD), "the password is nowhere");
  });

  it("--redis wins over the environment, and is redacted the same way", async (t) => {
    const out = mkdtempSync(join(tmpdir(), "blazefl-secret-run-"));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const port = await freePort();
    const result = await runAgainstNothing(
      ["--out", out, "--redis", `redis://:${PASSWORD}@127.0.0.1:${port}`],
      { BLAZEFL_REDIS_URL: "redis://:other@127.0.0.2:1" },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(!everythingWritten(out).includes(PASSWORD));
  });
});
