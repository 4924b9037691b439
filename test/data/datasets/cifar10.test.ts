import assert from "node:assert/strict";
import { rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CIFAR10_ARCHIVE_FOLDER, loadCifar10 } from "../../../src/data/datasets/index.js";
import { DataError } from "../../../src/data/errors.js";
import {
  cifarBatch,
  cifarValue,
  tempDir,
  writeCifarDataset,
} from "../../fixtures/data/builders.js";

const isDataError = (pattern: RegExp) => (e: unknown) =>
  e instanceof DataError && pattern.test(e.message);

describe("loadCifar10", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it("loads the five train batches and the test batch, channels-last", async () => {
    const d = join(dir, "flat");
    await writeCifarDataset(d, 3);
    const { train, test } = await loadCifar10({ dir: d });
    assert.equal(train.length, 15);
    assert.equal(test.length, 3);
    assert.deepEqual(train.sampleShape, [32, 32, 3]);
    // Record 1 of data_batch_2 is train sample 4: label (1 + 2) % 10.
    assert.equal(train.label(4), 3);
    const out = new Float32Array(3072);
    train.readFeatures(4, out, 0);
    for (const p of [0, 1, 555, 1023])
      for (let c = 0; c < 3; c++)
        assert.equal(
          out[p * 3 + c],
          Math.fround(cifarValue(2, 1, c, p) / 255),
          `pixel ${p} channel ${c}`,
        );
  });

  it("finds the files in the archive's cifar-10-batches-bin folder", async () => {
    await writeCifarDataset(join(dir, "nested", CIFAR10_ARCHIVE_FOLDER), 2);
    const { train, dir: used } = await loadCifar10({ dir: join(dir, "nested") });
    assert.equal(train.length, 10);
    assert.equal(used, join(dir, "nested", CIFAR10_ARCHIVE_FOLDER));
  });

  it("rejects truncated files, bad labels and missing files, naming the file", async () => {
    const d = join(dir, "broken");
    await writeCifarDataset(d, 2);
    truncateSync(join(d, "data_batch_3.bin"), 3073 * 2 - 1);
    await assert.rejects(
      loadCifar10({ dir: d }),
      isDataError(/data_batch_3\.bin: 6145 bytes is not a whole number of 3073-byte records/),
    );

    await writeCifarDataset(d, 2);
    writeFileSync(
      join(d, "test_batch.bin"),
      cifarBatch(2, 6, (r) => (r === 1 ? 12 : 0)),
    );
    await assert.rejects(
      loadCifar10({ dir: d }),
      isDataError(/test_batch\.bin: record 1 has label 12/),
    );

    await assert.rejects(
      loadCifar10({ dir: join(dir, "nothing") }),
      isDataError(/Missing dataset file .*data_batch_1\.bin.*blazefl data fetch cifar10/),
    );
  });

  it("checks the files in file order: the first bad one is named, not the first to answer", async () => {
    // data_batch_1.bin is truncated and data_batch_2.bin is missing: checking all files at once
    // and then their sizes named data_batch_2.bin (or, with both missing, whichever stat lost the
    // race, the flake this test pins down).
    const d = join(dir, "order");
    await writeCifarDataset(d, 2);
    truncateSync(join(d, "data_batch_1.bin"), 3073 + 5);
    rmSync(join(d, "data_batch_2.bin"));
    rmSync(join(d, "data_batch_4.bin"));
    await assert.rejects(
      loadCifar10({ dir: d }),
      isDataError(/data_batch_1\.bin: 3078 bytes is not a whole number/),
    );
    rmSync(join(d, "data_batch_1.bin"));
    for (let attempt = 0; attempt < 10; attempt++)
      await assert.rejects(
        loadCifar10({ dir: d }),
        isDataError(/Missing dataset file .*data_batch_1\.bin/),
      );
  });
});
