import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, beforeEach, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import {
  decompressedCacheDir,
  decompressedCachePath,
  MIN_CACHED_BYTES,
} from "../../../src/data/datasets/decompressed-cache.js";
import { flushDecompressedCopies, readMaybeGzip } from "../../../src/data/datasets/read-file.js";

const root = mkdtempSync(join(tmpdir(), "blazefl-decompressed-cache-"));
after(() => rmSync(root, { recursive: true, force: true }));
const savedEnv = { xdg: process.env.XDG_CACHE_HOME, off: process.env.BLAZEFL_DECOMPRESSED_CACHE };
after(() => {
  for (const [key, value] of [
    ["XDG_CACHE_HOME", savedEnv.xdg],
    ["BLAZEFL_DECOMPRESSED_CACHE", savedEnv.off],
  ] as const)
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
});

/** `n` bytes that compress but are not all alike; `salt` makes another file of the same size. */
const bytes = (n: number, salt = 0) =>
  Uint8Array.from({ length: n }, (_, i) => ((i * 7919 + salt) % 251) ^ ((i >> 12) & 0xff));
const big = MIN_CACHED_BYTES + 123_457;

let cache: string;
let data: string;
let test = 0;
beforeEach(() => {
  test++;
  cache = join(root, `cache-${test}`);
  data = join(root, `data-${test}`);
  process.env.XDG_CACHE_HOME = cache;
  delete process.env.BLAZEFL_DECOMPRESSED_CACHE;
  rmSync(data, { recursive: true, force: true });
});

function gzipFile(name: string, contents: Uint8Array): string {
  mkdirSync(data, { recursive: true });
  const path = join(data, name);
  writeFileSync(path, gzipSync(contents, { level: 1 }));
  return path;
}

const copyOf = (path: string) =>
  decompressedCachePath(decompressedCacheDir() as string, path, statSync(path, { bigint: true }));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const cacheFiles = () => (existsSync(cache) ? readdirSync(cache, { recursive: true }) : []);

describe("readMaybeGzip's decompressed copies", () => {
  it("decompresses a large file once, then reads the copy, into a buffer of its exact size", async () => {
    const contents = bytes(big);
    const path = gzipFile("train-images-idx3-ubyte.gz", contents);
    assert.ok(same(await readMaybeGzip(path), contents));
    await flushDecompressedCopies();
    const copy = copyOf(path);
    assert.equal(statSync(copy).size, 16 + big);
    assert.match(copy, /decompressed\/[0-9a-f]{12}-[0-9a-f]{12}-train-images-idx3-ubyte$/);
    // Change one byte of the copy (not its length): the next read must come from the copy.
    const raw = readFileSync(copy);
    raw[16 + 1000] = (raw[16 + 1000] as number) ^ 0xff;
    writeFileSync(copy, raw);
    const again = await readMaybeGzip(path);
    assert.equal(again.length, big);
    assert.equal(again.buffer.byteLength, big);
    assert.notEqual(again[1000], contents[1000]);
    assert.ok(same(again.subarray(1001), contents.subarray(1001)));
  });

  it("decompresses a changed file again, and removes the stale copy", async () => {
    const path = gzipFile("a.gz", bytes(big));
    // The same name in another directory: another path, whose copy must stay.
    mkdirSync(join(data, "other"));
    const other = join(data, "other", "a.gz");
    writeFileSync(other, gzipSync(bytes(big, 2), { level: 1 }));
    await readMaybeGzip(path);
    await readMaybeGzip(other);
    await flushDecompressedCopies();
    const changed = bytes(big, 1);
    writeFileSync(path, gzipSync(changed, { level: 1 }));
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    assert.ok(same(await readMaybeGzip(path), changed));
    await flushDecompressedCopies();
    assert.deepEqual(
      readdirSync(decompressedCacheDir() as string).sort(),
      [basename(copyOf(path)), basename(copyOf(other))].sort(),
    );
    assert.ok(same(await readMaybeGzip(other), bytes(big, 2)));
  });

  it("ignores and replaces a copy of the wrong length or without its header", async () => {
    const contents = bytes(big);
    const path = gzipFile("b.gz", contents);
    await readMaybeGzip(path);
    await flushDecompressedCopies();
    const copy = copyOf(path);
    truncateSync(copy, 16 + big - 1);
    assert.ok(same(await readMaybeGzip(path), contents));
    await flushDecompressedCopies();
    assert.equal(statSync(copy).size, 16 + big);
    writeFileSync(copy, Buffer.concat([Buffer.from("NOTRAW01"), Buffer.alloc(8 + big)]));
    assert.ok(same(await readMaybeGzip(path), contents));
    await flushDecompressedCopies();
    assert.equal(readFileSync(copy).subarray(0, 8).toString("latin1"), "BFLRAW01");
  });

  it("rewrites a missing copy on the next read", async () => {
    const contents = bytes(big);
    const path = gzipFile("c.gz", contents);
    await readMaybeGzip(path);
    await flushDecompressedCopies();
    rmSync(copyOf(path));
    assert.ok(same(await readMaybeGzip(path), contents));
    await flushDecompressedCopies();
    assert.equal(statSync(copyOf(path)).size, 16 + big);
  });

  it("keeps no copy of small gzip files or of raw files", async () => {
    const small = bytes(MIN_CACHED_BYTES - 1);
    assert.ok(same(await readMaybeGzip(gzipFile("small.gz", small)), small));
    const rawPath = join(data, "raw");
    writeFileSync(rawPath, bytes(big));
    assert.equal((await readMaybeGzip(rawPath)).length, big);
    await flushDecompressedCopies();
    assert.deepEqual(cacheFiles(), []);
  });

  it("is off with BLAZEFL_DECOMPRESSED_CACHE=0", async () => {
    process.env.BLAZEFL_DECOMPRESSED_CACHE = "0";
    assert.equal(decompressedCacheDir(), undefined);
    const contents = bytes(big);
    assert.ok(same(await readMaybeGzip(gzipFile("d.gz", contents)), contents));
    await flushDecompressedCopies();
    assert.equal(existsSync(cache), false);
  });

  it("still reads the file when the cache cannot be written", async () => {
    writeFileSync(cache, "a file where the cache directory should be");
    const contents = bytes(big);
    const path = gzipFile("e.gz", contents);
    assert.ok(same(await readMaybeGzip(path), contents));
    await flushDecompressedCopies();
    assert.ok(same(await readMaybeGzip(path), contents));
  });

  it("leaves another writer's copy to it, and takes over one left by a writer that died", async () => {
    const contents = bytes(big);
    const path = gzipFile("f.gz", contents);
    const copy = copyOf(path);
    mkdirSync(join(copy, ".."), { recursive: true });
    writeFileSync(`${copy}.partial`, "being written");
    assert.ok(same(await readMaybeGzip(path), contents));
    await flushDecompressedCopies();
    assert.equal(existsSync(copy), false);
    assert.equal(readFileSync(`${copy}.partial`, "utf8"), "being written");
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(`${copy}.partial`, hourAgo, hourAgo);
    assert.ok(same(await readMaybeGzip(path), contents));
    await flushDecompressedCopies();
    assert.equal(statSync(copy).size, 16 + big);
    assert.equal(existsSync(`${copy}.partial`), false);
  });

  it("writes no copy of a corrupt file", async () => {
    const gz = gzipSync(bytes(big), { level: 1 });
    const path = join(data, "g.gz");
    mkdirSync(data, { recursive: true });
    writeFileSync(path, gz.subarray(0, gz.length - 100));
    await assert.rejects(readMaybeGzip(path), /g\.gz: corrupt or truncated gzip/);
    await flushDecompressedCopies();
    assert.deepEqual(cacheFiles(), []);
  });
});
