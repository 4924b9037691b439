import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { OptionsError } from "../../../src/core/errors.js";
import { loadCifar10, loadIdxDataset } from "../../../src/data/datasets/index.js";
import { DataError } from "../../../src/data/errors.js";
import { fetchDataset } from "../../../src/data/fetch/index.js";
import { cifarFiles, tarArchive, tempDir, writeIdxDataset } from "../../fixtures/data/builders.js";
import { closedPortUrl, type ServedFile, serveFiles } from "../../fixtures/data/http-server.js";

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

describe("fetchDataset", async () => {
  const { dir, cleanup } = tempDir();
  // Fixture IDX files, served under the official names.
  const source = join(dir, "source");
  await writeIdxDataset(source, { train: 50, test: 20 });
  const idxFiles = new Map<string, ServedFile>();
  const checksums: Record<string, string> = {};
  for (const name of readdirSync(source)) {
    const body = new Uint8Array(readFileSync(join(source, name)));
    idxFiles.set(`/fmnist/${name}`, { body });
    checksums[name] = md5(body);
  }
  const entries = [...cifarFiles(2)].map(
    ([name, bytes]) => [`cifar-10-batches-bin/${name}`, bytes] as const,
  );
  const archive = gzipSync(
    tarArchive([
      ["cifar-10-batches-bin/", new Uint8Array(0)],
      ...entries,
      ["cifar-10-batches-bin/readme.html", new Uint8Array(10)],
    ]),
  );
  idxFiles.set("/cifar/cifar-10-binary.tar.gz", { body: archive, cutAfter: archive.length >> 1 });
  const server = await serveFiles(idxFiles);
  after(async () => {
    await server.close();
    cleanup();
  });

  it("downloads, verifies and checks an IDX dataset; a second run downloads nothing", async () => {
    const target = join(dir, "fmnist");
    const result = await fetchDataset("fashion-mnist", {
      dir: target,
      baseUrl: `${server.baseUrl}fmnist`,
      checksums,
    });
    assert.equal(result.dir, target);
    assert.deepEqual(
      result.files.map((f) => f.status),
      ["downloaded", "downloaded", "downloaded", "downloaded"],
    );
    const { train, test } = await loadIdxDataset("fashion-mnist", { dir: target });
    assert.equal(train.length, 50);
    assert.equal(test.length, 20);
    const before = server.requests.length;
    const again = await fetchDataset("fashion-mnist", {
      dir: target,
      baseUrl: `${server.baseUrl}fmnist`,
      checksums,
    });
    assert.deepEqual(
      again.files.map((f) => f.status),
      ["present", "present", "present", "present"],
    );
    assert.equal(server.requests.length, before);
  });

  it("rejects files that do not match the official checksums", async () => {
    const target = join(dir, "official");
    await assert.rejects(
      fetchDataset("mnist", { dir: target, baseUrl: `${server.baseUrl}fmnist` }),
      (e: unknown) =>
        e instanceof DataError &&
        /Checksum mismatch .*train-images-idx3-ubyte\.gz: expected md5 f68b3c2dcbeaaa9fbdd348bbdeb94873/.test(
          e.message,
        ),
    );
    assert.deepEqual(existsSync(target) ? readdirSync(target) : [], []);
  });

  it("checks the structure even without a checksum", async () => {
    const target = join(dir, "structure");
    const broken = await serveFiles(
      new Map([["/train-images-idx3-ubyte.gz", { body: gzipSync(Uint8Array.of(1, 2, 3, 4, 5)) }]]),
    );
    try {
      await assert.rejects(
        fetchDataset("mnist", {
          dir: target,
          baseUrl: broken.baseUrl,
          checksums: { "train-images-idx3-ubyte.gz": null },
        }),
        (e: unknown) =>
          e instanceof DataError && /train-images-idx3-ubyte\.gz: not an IDX file/.test(e.message),
      );
    } finally {
      await broken.close();
    }
  });

  it("downloads CIFAR-10's archive (resuming a cut), extracts the batches, removes the archive", async () => {
    const target = join(dir, "cifar");
    const options = {
      dir: target,
      baseUrl: `${server.baseUrl}cifar/`,
      checksums: { "cifar-10-binary.tar.gz": md5(archive) },
    };
    await assert.rejects(fetchDataset("cifar10", options), /resume/);
    const result = await fetchDataset("cifar10", options);
    assert.deepEqual(
      result.files.map((f) => f.status),
      ["downloaded", ...new Array(6).fill("extracted")],
    );
    assert.equal(existsSync(join(target, "cifar-10-binary.tar.gz")), false);
    assert.equal(
      existsSync(join(target, "cifar-10-batches-bin", "readme.html")),
      false,
      "only the wanted files",
    );
    const { train, test } = await loadCifar10({ dir: target });
    assert.equal(train.length, 10);
    assert.equal(test.length, 2);
    const again = await fetchDataset("cifar10", options);
    assert.ok(again.files.every((f) => f.status === "present"));
  });

  it("shows progress on a TTY and nothing otherwise", async () => {
    const capture = (tty: boolean) => {
      const stream = Object.assign(new PassThrough(), {
        isTTY: tty,
        columns: 100,
        cursorTo() {},
        clearLine() {},
        moveCursor() {},
      });
      let text = "";
      stream.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      return { stream, text: () => text };
    };
    const quiet = capture(false);
    await fetchDataset("fashion-mnist", {
      dir: join(dir, "quiet"),
      baseUrl: `${server.baseUrl}fmnist`,
      checksums,
      stderr: quiet.stream,
    });
    assert.equal(quiet.text(), "");
    const loud = capture(true);
    await fetchDataset("fashion-mnist", {
      dir: join(dir, "loud"),
      baseUrl: `${server.baseUrl}fmnist`,
      checksums,
      stderr: loud.stream,
    });
    assert.match(loud.text(), /train-images-idx3-ubyte\.gz .*100%/);
  });

  it("fails fast with a clear message when nothing is reachable", async () => {
    const closed = await closedPortUrl();
    await assert.rejects(
      fetchDataset("fashion-mnist", {
        dir: join(dir, "offline"),
        baseUrl: closed,
        timeoutMs: 1000,
      }),
      (e: unknown) =>
        e instanceof DataError && /Cannot download .*no internet access/.test(e.message),
    );
  });

  it("rejects bad options", async () => {
    await assert.rejects(
      fetchDataset("imagenet" as never),
      (e: unknown) => e instanceof OptionsError && e.option === "dataset",
    );
    await assert.rejects(
      fetchDataset("mnist", { baseUrl: "ftp://x/" }),
      (e: unknown) => e instanceof OptionsError && e.option === "--base-url",
    );
    await assert.rejects(
      fetchDataset("mnist", { timeoutMs: 0 }),
      (e: unknown) => e instanceof OptionsError && e.option === "--timeout",
    );
  });
});
