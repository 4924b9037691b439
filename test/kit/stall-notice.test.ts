import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { OptionsError } from "../../src/core/errors.js";
import { resolveRunOptions } from "../../src/kit/experiment-options.js";
import { runExperiment } from "../../src/kit/run-experiment.js";
import { sampleClients } from "../../src/kit/sampling.js";
import { stallNotice } from "../../src/kit/stall-notice.js";
import { runCli } from "../cli/cli-helpers.js";
import { isRunning } from "../core/pool-helpers.js";

const MODULE = fileURLToPath(new URL("../fixtures/kit/hanging-algorithm.ts", import.meta.url));
const base = {
  algorithm: MODULE,
  dataset: "synthetic",
  clients: 10,
  sampleRatio: 0.4,
  rounds: 2,
  seed: 5,
  parallels: 2,
  quiet: true,
} as const;
/** The client that hangs: the first one sampled in round 2 (0-based round 1). */
const hangCid = sampleClients(base.seed, 1, base.clients, 4)[0] as number;

describe("a hung client in a run", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-stall-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let reference = "";

  it("gets one stderr notice naming round, client, median and worker, and the run still ends with the undisturbed model", async () => {
    reference = (await runExperiment({ ...base, trainer: "thread" }, { progress: false }))
      .modelSha256;
    const releaseFile = join(dir, "release");
    const notices: string[] = [];
    const summary = await runExperiment(
      {
        ...base,
        trainer: "thread",
        hangCid,
        hangRound: 1,
        markerFile: join(dir, "hung"),
        releaseFile,
      },
      {
        progress: false,
        stallNotice: { factor: 2, minSeconds: 0.3 },
        stderr: (line) => {
          if (!line.includes("may be hung")) return;
          notices.push(line);
          writeFileSync(releaseFile, "");
        },
      },
    );
    assert.equal(notices.length, 1, notices.join("\n"));
    assert.match(
      notices[0] as string,
      new RegExp(
        `^blazefl: round 2: client ${hangCid} has been training for [\\d.]+ s \\(median [\\d.]+ s\\) on worker thread \\d+; it may be hung \\(--client-timeout SECONDS treats it as dead\\)$`,
      ),
    );
    assert.equal(summary.modelSha256, reference);
  });

  it("with clientTimeout, has its worker killed and its client retried: the same model", async () => {
    const markerFile = join(dir, "hung-process");
    const notices: string[] = [];
    const summary = await runExperiment(
      {
        ...base,
        trainer: "process",
        clientTimeout: 6,
        hangCid,
        hangRound: 1,
        markerFile,
        releaseFile: join(dir, "never"),
      },
      {
        progress: false,
        stallNotice: { factor: 2, minSeconds: 0.3 },
        stderr: (line) => {
          if (line.includes("may be hung")) notices.push(line);
        },
      },
    );
    assert.equal(summary.modelSha256, reference);
    const pid = Number(readFileSync(markerFile, "utf8"));
    // The retry may get a notice too: a fresh worker loads its engine within its first job.
    assert.match(
      notices[0] as string,
      new RegExp(
        `client ${hangCid} .* on worker pid ${pid}; .*\\(--client-timeout 6 treats it as dead after 6 s\\)$`,
      ),
    );
    assert.ok(!isRunning(pid), "the hung worker was killed");
    assert.ok(!existsSync(join(dir, "never")));
  });
});

describe("--client-timeout", () => {
  it("refuses values that are not a positive number of seconds, and trainers without workers to replace", async () => {
    for (const [value, trainer] of [
      [0, "process"],
      [-3, "thread"],
      ["soon", "process"],
      [Number.NaN, "process"],
      [1e12, "process"],
      [5, "serial"],
      [5, "redis"],
    ] as const)
      assert.throws(
        () => resolveRunOptions({ clientTimeout: value, trainer, redis: "redis://localhost" }),
        (error: unknown) => error instanceof OptionsError && error.option === "--client-timeout",
        `${String(value)} with --trainer ${trainer}`,
      );
    assert.equal(resolveRunOptions({ clientTimeout: "2.5" }).clientTimeout, 2.5);
    const result = await runCli(["run", "--client-timeout", "0"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /`--client-timeout`.*> 0/);
  });

  it("names the phase and the worker in the notice", () => {
    const info = { cid: 3, runningSeconds: 63.2, medianSeconds: 2.14, pid: 42, threadId: 0 };
    assert.equal(
      stallNotice(info, { round: 7, evaluating: false }, undefined),
      "blazefl: round 7: client 3 has been training for 63 s (median 2.1 s) on worker pid 42; it may be hung (--client-timeout SECONDS treats it as dead)",
    );
    assert.match(
      stallNotice({ ...info, threadId: 5 }, { round: 0, evaluating: true }, 90),
      /^blazefl: warm-up: job 3 has been running for 63 s .* on worker thread 5; .*\(--client-timeout 90 treats it as dead after 90 s\)$/,
    );
    assert.match(
      stallNotice(info, { round: 2, evaluating: true }, undefined),
      /^blazefl: round 2: evaluation shard 3 has been running/,
    );
  });
});
