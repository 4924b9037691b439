/**
 * CIFAR-10, binary version: parsing, validation and loading.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "../errors.js";
import { ImageStore } from "../store/image-store.js";
import { DATASET_INFO, resolveDefaultDataDir } from "./catalog.js";
import type { ImageDatasetSplits, LoadImageDatasetOptions } from "./idx.js";
import { describeFsError } from "./read-file.js";

/** The bytes of one record: 1 label byte, then 1024 R, 1024 G and 1024 B bytes. */
export const CIFAR10_RECORD_BYTES = 3073;
/** The training files, in order. */
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
/** The test file. */
export const CIFAR10_TEST_FILE = "test_batch.bin";
/** The folder the official archive unpacks into. */
export const CIFAR10_ARCHIVE_FOLDER = "cifar-10-batches-bin";

/**
 * Parses a CIFAR-10 binary batch into `pixels` (channels-last, HWC) and `labels`, starting at
 * record `offset` of the destination arrays.
 * @returns The number of records parsed.
 * @throws DataError naming the file when its size is not a positive multiple of 3073 bytes or a
 *   label is not 0-9.
 */
export function parseCifar10Batch(
  bytes: Uint8Array,
  file: string,
  pixels: Uint8Array,
  labels: Uint8Array,
  offset = 0,
): number {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0)
    throw new DataError(
      `${file}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records (truncated or not a CIFAR-10 binary batch)`,
    );
  const records = bytes.length / CIFAR10_RECORD_BYTES;
  if (labels.length < offset + records)
    throw new DataError(
      `${file}: ${records} records do not fit the ${labels.length - offset} left`,
    );
  for (let r = 0; r < records; r++) {
    const base = r * CIFAR10_RECORD_BYTES;
    const label = bytes[base] as number;
    if (label > 9) throw new DataError(`${file}: record ${r} has label ${label} (expected 0-9)`);
    labels[offset + r] = label;
    const out = (offset + r) * 3072;
    // CHW planes to HWC: pixel p of channel c lands at p * 3 + c.
    for (let c = 0; c < 3; c++) {
      const plane = base + 1 + c * 1024;
      for (let p = 0; p < 1024; p++) pixels[out + p * 3 + c] = bytes[plane + p] as number;
    }
  }
  return records;
}

async function sizeOf(path: string, hint: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new DataError(`${path}: not a regular file`);
    return s.size;
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`Missing dataset file ${path}: ${describeFsError(error)}. ${hint}`, {
      cause: error,
    });
  }
}

async function loadSplit(
  dir: string,
  files: readonly string[],
  hint: string,
  options: LoadImageDatasetOptions,
): Promise<ImageStore> {
  const paths = files.map((f) => join(dir, f));
  let records = 0;
  // One file after the other, so the error names the first bad file, whatever the timing.
  for (const path of paths) {
    const size = await sizeOf(path, hint);
    if (size === 0 || size % CIFAR10_RECORD_BYTES !== 0)
      throw new DataError(
        `${path}: ${size} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records (truncated or not a CIFAR-10 binary batch)`,
      );
    records += size / CIFAR10_RECORD_BYTES;
  }
  const pixels = new Uint8Array(records * 3072);
  const labels = new Uint8Array(records);
  let offset = 0;
  for (const path of paths) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new DataError(`Cannot read ${path}: ${describeFsError(error)}`, { cause: error });
    }
    offset += parseCifar10Batch(bytes, path, pixels, labels, offset);
  }
  if (offset !== records)
    throw new DataError(`${dir}: the CIFAR-10 files changed while they were read`);
  return new ImageStore({
    pixels,
    labels,
    sampleShape: DATASET_INFO.cifar10.sampleShape,
    numClasses: 10,
    normalization: options.normalization,
    source: dir,
  });
}

/**
 * Loads CIFAR-10 from its binary batches (`data_batch_1.bin` .. `data_batch_5.bin`,
 * `test_batch.bin`), found in `dir` or in its `cifar-10-batches-bin` folder. Each file must be a
 * whole number of 3073-byte records (the official files have 10,000) with labels 0-9. Images
 * are stored channels-last ([32, 32, 3]) as uint8; features read as float32 `pixel / 255`.
 * @throws DataError naming the file and the problem.
 */
export async function loadCifar10(
  options: LoadImageDatasetOptions = {},
): Promise<ImageDatasetSplits> {
  let dir =
    options.dir ??
    resolveDefaultDataDir("cifar10", join(CIFAR10_ARCHIVE_FOLDER, CIFAR10_TEST_FILE));
  const nested = join(dir, CIFAR10_ARCHIVE_FOLDER);
  try {
    if ((await stat(join(nested, CIFAR10_TEST_FILE))).isFile()) dir = nested;
  } catch {
    // the files sit in dir itself
  }
  const hint = `Run \`blazefl data fetch cifar10 --dir ${options.dir ?? dir}\` to download it, or pass the directory that holds it.`;
  const train = await loadSplit(dir, CIFAR10_TRAIN_FILES, hint, options);
  const test = await loadSplit(dir, [CIFAR10_TEST_FILE], hint, options);
  return { train, test, dir };
}
