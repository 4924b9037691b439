import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { readMaybeGzip } from "../../../src/data/datasets/read-file.js";

const dir = mkdtempSync(join(tmpdir(), "blazefl-read-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 300 kB that compress, but not to nothing. */
const contents = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251);

/** A file of `members`, each gzipped on its own (a valid gzip file; its trailer is the last's). */
function gzipFile(name: string, ...members: Uint8Array[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(members.map((m) => gzipSync(m))));
  return path;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("readMaybeGzip", () => {
  it("decompresses into one buffer of exactly the file's size", async () => {
    for (const data of [contents, contents.subarray(0, 1000)]) {
      const out = await readMaybeGzip(gzipFile(`one-${data.length}.gz`, data));
      assert.ok(same(out, data));
      // Neither joined from chunks nor held in a larger one: datasets keep it for the run.
      assert.equal(out.buffer.byteLength, data.length);
    }
  });

  it("reads a file of several gzip members, whose trailer declares only the last", async () => {
    const head = contents.subarray(0, 250_000);
    const tail = contents.subarray(250_000);
    const out = await readMaybeGzip(gzipFile("two.gz", head, tail));
    assert.ok(same(out, contents));
    assert.equal(out.buffer.byteLength, contents.length);
  });

  it("refuses a trailer that declares another size (zlib checks it)", async () => {
    const gz = gzipSync(contents);
    new DataView(gz.buffer, gz.byteOffset, gz.byteLength).setUint32(gz.length - 4, 1000, true);
    const path = join(dir, "lying.gz");
    writeFileSync(path, gz);
    await assert.rejects(readMaybeGzip(path), /lying\.gz: corrupt or truncated gzip/);
  });
});
