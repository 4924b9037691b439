import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { DataError } from "../../../src/data/errors.js";
import { extractTarGz } from "../../../src/data/fetch/index.js";
import { tarArchive, tempDir } from "../../fixtures/data/builders.js";

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed) % 251);

describe("extractTarGz", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const write = (name: string, tar: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, gzipSync(tar));
    return path;
  };

  it("extracts the selected regular files, by their base names only", async () => {
    const longName = `${"deep/".repeat(30)}c.bin`;
    const pax = new TextEncoder().encode(
      `${"30 path=pax/dir/d.bin".length + 1} path=pax/dir/d.bin\n`,
    );
    const archive = write(
      "ok.tar.gz",
      tarArchive([
        ["top/", new Uint8Array(0)],
        ["top/a.bin", bytes(1000, 3)],
        ["top/b.bin", bytes(512, 5)],
        ["top/empty.bin", new Uint8Array(0)],
        ["././@LongLink", new TextEncoder().encode(`${longName}\0`), "L"],
        ["short-name-ignored", bytes(700, 7)],
        ["PaxHeader", pax, "x"],
        ["ignored", bytes(10, 11)],
        ["../escape.bin", bytes(5, 1)],
      ]),
    );
    const out = join(dir, "out");
    const seen: string[] = [];
    const written = await extractTarGz(archive, out, (path) => {
      seen.push(path);
      return path.startsWith("..") ? undefined : path.split("/").pop();
    });
    assert.deepEqual(seen, [
      "top/a.bin",
      "top/b.bin",
      "top/empty.bin",
      longName,
      "pax/dir/d.bin",
      "../escape.bin",
    ]);
    assert.deepEqual(written, ["a.bin", "b.bin", "empty.bin", "c.bin", "d.bin"]);
    assert.deepEqual(new Uint8Array(readFileSync(join(out, "a.bin"))), bytes(1000, 3));
    assert.deepEqual(new Uint8Array(readFileSync(join(out, "c.bin"))), bytes(700, 7));
    assert.deepEqual(new Uint8Array(readFileSync(join(out, "d.bin"))), bytes(10, 11));
    assert.equal(readFileSync(join(out, "empty.bin")).length, 0);
    assert.deepEqual(readdirSync(out).sort(), ["a.bin", "b.bin", "c.bin", "d.bin", "empty.bin"]);
  });

  it("rejects truncated archives, bad header checksums and corrupt gzip, naming the archive", async () => {
    const tar = tarArchive([["a.bin", bytes(3000, 3)]]);
    const truncated = write("truncated.tar.gz", tar.subarray(0, 2048));
    await assert.rejects(
      extractTarGz(truncated, join(dir, "t"), (p) => p),
      (e: unknown) =>
        e instanceof DataError && /truncated\.tar\.gz: truncated archive/.test(e.message),
    );
    assert.deepEqual(readdirSync(join(dir, "t")), [], "no partial file left behind");
    const bad = Uint8Array.from(tar);
    bad[10] = 0x41;
    await assert.rejects(
      extractTarGz(write("bad.tar.gz", bad), join(dir, "b"), (p) => p),
      (e: unknown) =>
        e instanceof DataError &&
        /bad\.tar\.gz: corrupt tar header \(bad checksum\)/.test(e.message),
    );
    const gz = gzipSync(tar);
    const path = join(dir, "gz.tar.gz");
    writeFileSync(path, gz.subarray(0, gz.length - 30));
    await assert.rejects(
      extractTarGz(path, join(dir, "g"), (p) => p),
      (e: unknown) => e instanceof DataError && /gz\.tar\.gz: corrupt archive/.test(e.message),
    );
  });
});
