import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { dataCommand } from "../../src/cli/commands/data.js";
import { OptionsError } from "../../src/core/errors.js";
import { DataError } from "../../src/data/errors.js";
import { tempDir, writeIdxDataset } from "../fixtures/data/builders.js";
import { closedPortUrl, type ServedFile, serveFiles } from "../fixtures/data/http-server.js";

function io() {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  return { stdout, stderr, out: () => out, err: () => err };
}

describe("blazefl data", async () => {
  const { dir, cleanup } = tempDir();
  const source = join(dir, "source");
  await writeIdxDataset(source, { train: 60, test: 20 });
  const files = new Map<string, ServedFile>();
  const checksums: Record<string, string> = {};
  for (const name of readdirSync(source)) {
    const body = new Uint8Array(readFileSync(join(source, name)));
    files.set(`/${name}`, { body });
    checksums[name] = createHash("md5").update(body).digest("hex");
  }
  const server = await serveFiles(files);
  after(async () => {
    await server.close();
    cleanup();
  });

  it("fetch downloads into --dir and prints one JSON line", async () => {
    const streams = io();
    const target = join(dir, "mnist");
    await dataCommand({ ...streams, checksums }).parseAsync(
      ["fetch", "mnist", "--dir", target, "--base-url", server.baseUrl, "--timeout", "2000"],
      { from: "user" },
    );
    const result = JSON.parse(streams.out().trim()) as {
      dataset: string;
      dir: string;
      files: Array<{ status: string }>;
    };
    assert.equal(result.dataset, "mnist");
    assert.equal(result.dir, target);
    assert.equal(result.files.length, 4);
    assert.ok(result.files.every((f) => f.status === "downloaded"));
    assert.match(streams.err(), /4 files ready/);
    assert.doesNotMatch(streams.err(), /%/, "no progress bar when stderr is not a TTY");
  });

  it("fetch verifies the official checksums by default", async () => {
    const streams = io();
    await assert.rejects(
      dataCommand(streams).parseAsync(
        ["fetch", "fashion-mnist", "--dir", join(dir, "f"), "--base-url", server.baseUrl],
        { from: "user" },
      ),
      (e: unknown) => e instanceof DataError && /Checksum mismatch/.test(e.message),
    );
  });

  it("fetch fails fast offline, and rejects bad arguments with OptionsError", async () => {
    const streams = io();
    const closed = await closedPortUrl();
    await assert.rejects(
      dataCommand(streams).parseAsync(
        ["fetch", "cifar10", "--dir", join(dir, "c"), "--base-url", closed, "--timeout", "500"],
        { from: "user" },
      ),
      (e: unknown) => e instanceof DataError && /no internet access/.test(e.message),
    );
    await assert.rejects(
      dataCommand(streams).parseAsync(["fetch", "imagenet"], { from: "user" }),
      (e: unknown) => e instanceof OptionsError && e.option === "dataset",
    );
    await assert.rejects(
      dataCommand(streams).parseAsync(["fetch", "mnist", "--timeout", "soon"], { from: "user" }),
      (e: unknown) => e instanceof OptionsError && e.option === "--timeout",
    );
  });

  it("stats prints per-client label counts", async () => {
    const streams = io();
    await dataCommand(streams).parseAsync(
      [
        "stats",
        "--dataset",
        "mnist",
        "--data-dir",
        join(dir, "mnist"),
        "--clients",
        "5",
        "--partition",
        "shards:2",
        "--seed",
        "3",
      ],
      { from: "user" },
    );
    const stats = JSON.parse(streams.out().trim()) as {
      numClients: number;
      sampleShape: number[];
      sizes: { total: number };
      clients: Array<{ cid: number; size: number; counts: number[] }>;
      meanLabelEntropy: number;
    };
    assert.equal(stats.numClients, 5);
    assert.deepEqual(stats.sampleShape, [28, 28, 1]);
    assert.equal(stats.sizes.total, 60);
    assert.equal(stats.clients.length, 5);
    assert.ok(stats.clients.every((c) => c.counts.reduce((a, b) => a + b, 0) === c.size));
    const synthetic = io();
    await dataCommand(synthetic).parseAsync(["stats", "--clients", "8", "--split", "test"], {
      from: "user",
    });
    assert.equal(JSON.parse(synthetic.out()).clients.length, 8);
    await assert.rejects(
      dataCommand(io()).parseAsync(["stats", "--clients", "many"], { from: "user" }),
      (e: unknown) => e instanceof OptionsError && e.option === "--clients",
    );
    await assert.rejects(
      dataCommand(io()).parseAsync(["stats", "--partition", "dirichlet:-1", "--dataset", "mnist"], {
        from: "user",
      }),
      (e: unknown) => e instanceof OptionsError && e.option === "--partition",
    );
  });
});
