import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import {
  FASHION_MNIST_SYSTEM_DIR,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  loadIdxDataset,
  parseIdx,
} from "../../../src/data/datasets/index.js";
import { DataError } from "../../../src/data/errors.js";
import {
  idxBytes,
  imageSet,
  labelAt,
  pixelAt,
  tempDir,
  writeIdxDataset,
} from "../../fixtures/data/builders.js";

const isDataError = (pattern: RegExp) => (e: unknown) =>
  e instanceof DataError && pattern.test(e.message);

describe("parseIdx", () => {
  const data = Uint8Array.of(1, 2, 3, 4, 5, 6);
  it("parses the header and returns the data", () => {
    const parsed = parseIdx(idxBytes([2, 3], data), "f", undefined);
    assert.deepEqual(parsed.dims, [2, 3]);
    assert.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(parseIdx(idxBytes([6], data), "f", IDX_LABELS_MAGIC).dims, [6]);
  });

  it("rejects bad magic numbers, types, truncation and trailing bytes, naming the file", () => {
    const good = idxBytes([6], data);
    assert.throws(
      () => parseIdx(good, "labels.idx", IDX_IMAGES_MAGIC),
      isDataError(/labels\.idx: wrong magic number 0x00000801 \(expected 0x00000803/),
    );
    assert.throws(
      () => parseIdx(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0, 0, 0), "x.idx"),
      isDataError(/x\.idx: not an IDX file/),
    );
    assert.throws(
      () => parseIdx(idxBytes([6], data, 0x0d), "f.idx"),
      isDataError(/element type 0x0d/),
    );
    assert.throws(
      () => parseIdx(Uint8Array.of(0, 0), "f.idx"),
      isDataError(/f\.idx: truncated: 2 bytes/),
    );
    assert.throws(() => parseIdx(good.subarray(0, 6), "f.idx"), isDataError(/truncated header/));
    assert.throws(
      () => parseIdx(good.subarray(0, good.length - 1), "f.idx"),
      isDataError(/truncated: the header promises 6 data bytes .* has 5/),
    );
    const long = new Uint8Array(good.length + 3);
    long.set(good);
    assert.throws(() => parseIdx(long, "f.idx"), isDataError(/3 unexpected trailing bytes/));
  });
});

describe("loadIdxDataset", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it("loads gzipped and raw files; features read as pixel / 255", async () => {
    for (const gzip of [true, false]) {
      const d = join(dir, gzip ? "gz" : "raw");
      await writeIdxDataset(d, { train: 30, test: 12, gzip });
      const { train, test } = await loadIdxDataset("mnist", { dir: d });
      assert.equal(train.length, 30);
      assert.equal(test.length, 12);
      assert.deepEqual(train.sampleShape, [28, 28, 1]);
      assert.equal(train.label(7), labelAt(7));
      const out = new Float32Array(784 + 2);
      train.readFeatures(7, out, 2);
      assert.equal(out[2], Math.fround(pixelAt(7, 0) / 255));
      assert.equal(out[2 + 500], Math.fround(pixelAt(7, 500) / 255));
      assert.equal(train.pixels.length, 30 * 784, "one byte per pixel kept");
    }
  });

  it("applies optional mean/std normalisation after pixel / 255", async () => {
    const d = join(dir, "norm");
    await writeIdxDataset(d, { train: 5, test: 5 });
    const { train } = await loadIdxDataset("fashion-mnist", {
      dir: d,
      normalization: { mean: [0.5], std: [0.25] },
    });
    const out = new Float32Array(784);
    train.readFeatures(3, out, 0);
    assert.ok(Math.abs((out[10] as number) - (pixelAt(3, 10) / 255 - 0.5) / 0.25) < 1e-6);
  });

  it("names the missing file and how to fetch it", async () => {
    const d = join(dir, "missing");
    await writeIdxDataset(d, { train: 5, test: 5 });
    rmSync(join(d, "t10k-labels-idx1-ubyte.gz"));
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(/t10k-labels-idx1-ubyte\.gz.*blazefl data fetch mnist/),
    );
  });

  it("rejects corrupt gzip, wrong sizes, count mismatches and labels out of range", async () => {
    const d = join(dir, "corrupt");
    const reset = () => writeIdxDataset(d, { train: 8, test: 4 });
    const images = join(d, "train-images-idx3-ubyte.gz");
    const labels = join(d, "train-labels-idx1-ubyte.gz");

    await reset();
    const gz = readFileSync(images);
    writeFileSync(images, gz.subarray(0, gz.length - 40));
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(/train-images-idx3-ubyte\.gz: corrupt or truncated gzip/),
    );

    await reset();
    const small = imageSet(8, 27, 28);
    writeFileSync(images, gzipSync(idxBytes([8, 27, 28], small.images)));
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(/images are 27x28, expected 28x28/),
    );

    await reset();
    writeFileSync(labels, gzipSync(idxBytes([7], imageSet(7).labels)));
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(/7 labels for the 8 images/),
    );

    await reset();
    const bad = imageSet(8).labels;
    bad[5] = 10;
    writeFileSync(labels, gzipSync(idxBytes([8], bad)));
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(/label 10 of sample 5 is out of range/),
    );

    await reset();
    writeFileSync(labels, gzipSync(idxBytes([8, 28, 28], imageSet(8).images)));
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(/wrong magic number 0x00000803 \(expected 0x00000801/),
    );
  });

  it("bounds what a file may decompress to by the format's size (a gzip bomb stops there)", async () => {
    const d = join(dir, "bomb");
    await writeIdxDataset(d, { train: 8, test: 4 });
    // 70,000 images of zeros: 55 MB from 55 kB of gzip, more than the 60,000 MNIST has.
    const n = 70_000;
    writeFileSync(
      join(d, "train-images-idx3-ubyte.gz"),
      gzipSync(idxBytes([n, 28, 28], new Uint8Array(n * 28 * 28)), { level: 9 }),
    );
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(
        /train-images-idx3-ubyte\.gz: decompresses to more than 47040016 bytes, the most its format allows/,
      ),
    );
    // The same bound holds for a raw (not gzipped) file: refused before it is read.
    rmSync(join(d, "train-images-idx3-ubyte.gz"));
    writeFileSync(join(d, "train-images-idx3-ubyte"), Buffer.alloc(47_040_017));
    await assert.rejects(
      loadIdxDataset("mnist", { dir: d }),
      isDataError(/train-images-idx3-ubyte: 47040017 bytes, more than the 47040016/),
    );
  });

  it("never quotes the bytes of a file that is not IDX (a planted link to a secret)", async () => {
    const d = join(dir, "planted");
    await writeIdxDataset(d, { train: 8, test: 4 });
    rmSync(join(d, "train-images-idx3-ubyte.gz"));
    const secret = join(dir, "shadow");
    writeFileSync(secret, "root:$6$s3cr3t:19000:0:99999:7:::\n");
    symlinkSync(secret, join(d, "train-images-idx3-ubyte"));
    await assert.rejects(loadIdxDataset("mnist", { dir: d }), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /not an IDX file/);
      for (const leak of ["726f6f74", "root", "s3cr3t"])
        assert.ok(!e.message.includes(leak), e.message);
      return true;
    });
  });

  it("reads Debian's Fashion-MNIST from the default directory", {
    skip: !existsSync(join(FASHION_MNIST_SYSTEM_DIR, "train-images-idx3-ubyte.gz")),
  }, async () => {
    const { train, test, dir: used } = await loadIdxDataset("fashion-mnist");
    assert.equal(used, FASHION_MNIST_SYSTEM_DIR);
    assert.equal(train.length, 60_000);
    assert.equal(test.length, 10_000);
    const counts = new Array(10).fill(0);
    for (const y of train.labels) counts[y]++;
    assert.deepEqual(counts, new Array(10).fill(6000));
  });
});
