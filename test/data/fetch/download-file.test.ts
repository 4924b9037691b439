import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AbortError } from "../../../src/core/errors.js";
import { DataError } from "../../../src/data/errors.js";
import { downloadFile } from "../../../src/data/fetch/index.js";
import { tempDir } from "../../fixtures/data/builders.js";
import { closedPortUrl, serveFiles, silentServer } from "../../fixtures/data/http-server.js";

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
const body = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7 + (i >> 8)) % 256);

describe("downloadFile", async () => {
  const { dir, cleanup } = tempDir();
  const server = await serveFiles(
    new Map([
      ["/file.bin", { body }],
      ["/cut.bin", { body, cutAfter: 5000 }],
      ["/norange.bin", { body, ignoreRange: true }],
    ]),
  );
  after(async () => {
    await server.close();
    cleanup();
  });
  const url = (name: string) => `${server.baseUrl}${name}`;

  it("downloads atomically and verifies the checksum", async () => {
    const dest = join(dir, "a", "file.bin");
    const seen: number[] = [];
    const result = await downloadFile({
      url: url("file.bin"),
      dest,
      md5: md5(body),
      onProgress: (r) => seen.push(r),
    });
    assert.deepEqual(new Uint8Array(readFileSync(dest)), body);
    assert.equal(result.bytes, body.length);
    assert.equal(result.md5, md5(body));
    assert.equal(result.resumedFrom, 0);
    assert.equal(existsSync(`${dest}.part`), false);
    assert.equal(seen.at(-1), body.length);
  });

  it("resumes a .part file with an HTTP Range request", async () => {
    const dest = join(dir, "resume.bin");
    writeFileSync(`${dest}.part`, body.subarray(0, 1234));
    const before = server.requests.length;
    const result = await downloadFile({ url: url("file.bin"), dest, md5: md5(body) });
    assert.equal(result.resumedFrom, 1234);
    assert.equal(server.requests[before]?.range, "bytes=1234-");
    assert.deepEqual(new Uint8Array(readFileSync(dest)), body);
  });

  it("keeps what arrived when the connection drops, and resumes on the next call", async () => {
    const dest = join(dir, "cut.bin");
    await assert.rejects(
      downloadFile({ url: url("cut.bin"), dest, md5: md5(body), timeoutMs: 300 }),
      (e: unknown) => e instanceof DataError && /run the command again to resume/.test(e.message),
    );
    assert.equal(existsSync(dest), false, "nothing at the final path");
    const kept = statSync(`${dest}.part`).size;
    assert.equal(kept, 5000, "every byte that arrived is kept");
    const result = await downloadFile({ url: url("cut.bin"), dest, md5: md5(body) });
    assert.equal(result.resumedFrom, kept);
    assert.deepEqual(new Uint8Array(readFileSync(dest)), body);
  });

  it("starts again when the server ignores Range, or the .part is too long", async () => {
    const dest = join(dir, "norange.bin");
    writeFileSync(`${dest}.part`, new Uint8Array(100).fill(255));
    const result = await downloadFile({ url: url("norange.bin"), dest, md5: md5(body) });
    assert.equal(result.resumedFrom, 0);
    assert.deepEqual(new Uint8Array(readFileSync(dest)), body);

    const dest2 = join(dir, "toolong.bin");
    writeFileSync(`${dest2}.part`, new Uint8Array(body.length + 10));
    await downloadFile({ url: url("file.bin"), dest: dest2, md5: md5(body) });
    assert.deepEqual(new Uint8Array(readFileSync(dest2)), body);
  });

  it("deletes the download on a checksum mismatch", async () => {
    const dest = join(dir, "bad.bin");
    await assert.rejects(
      downloadFile({ url: url("file.bin"), dest, md5: "0".repeat(32) }),
      (e: unknown) =>
        e instanceof DataError &&
        e.message.includes(`expected md5 ${"0".repeat(32)}, got ${md5(body)}`) &&
        e.message.includes("file.bin"),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.part`), false);
  });

  it("reports HTTP errors", async () => {
    await assert.rejects(
      downloadFile({ url: url("missing.bin"), dest: join(dir, "missing.bin") }),
      (e: unknown) => e instanceof DataError && /HTTP 404/.test(e.message),
    );
  });

  it("fails fast and clearly without a network: refused connection, silent server", async () => {
    const closed = await closedPortUrl();
    await assert.rejects(
      downloadFile({ url: `${closed}x.bin`, dest: join(dir, "x.bin"), timeoutMs: 2000 }),
      (e: unknown) =>
        e instanceof DataError &&
        /connection refused \(ECONNREFUSED\)/.test(e.message) &&
        /no internet access/.test(e.message),
    );
    const silent = await silentServer();
    try {
      await assert.rejects(
        downloadFile({ url: `${silent.baseUrl}x.bin`, dest: join(dir, "y.bin"), timeoutMs: 150 }),
        (e: unknown) => e instanceof DataError && /timed out \(ETIMEDOUT\)/.test(e.message),
      );
    } finally {
      await silent.close();
    }
  });

  it("stops on an abort signal", async () => {
    const silent = await silentServer();
    try {
      const controller = new AbortController();
      const pending = downloadFile({
        url: `${silent.baseUrl}x.bin`,
        dest: join(dir, "z.bin"),
        signal: controller.signal,
      });
      controller.abort();
      await assert.rejects(pending, AbortError);
      controller.abort();
      await assert.rejects(
        downloadFile({
          url: `${silent.baseUrl}x.bin`,
          dest: join(dir, "z.bin"),
          signal: controller.signal,
        }),
        AbortError,
      );
    } finally {
      await silent.close();
    }
  });
});
