/**
 * IDX files (MNIST, Fashion-MNIST): parsing, validation and loading.
 *
 * @module
 */
import { DataError } from "../errors.js";
import { ImageStore, type Normalization } from "../store/image-store.js";
import { datasetInfo, resolveDefaultDataDir } from "./catalog.js";
import { findDataFile, readMaybeGzip } from "./read-file.js";

/** The magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
export const IDX_IMAGES_MAGIC = 0x0000_0803;
/** The magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
export const IDX_LABELS_MAGIC = 0x0000_0801;

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** The dimensions from the header, e.g. `[60000, 28, 28]`. */
  readonly dims: readonly number[];
  /** The data, `product(dims)` bytes (a view into the file's buffer). */
  readonly data: Uint8Array;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/**
 * Parses an IDX file of unsigned bytes and checks its header against its length.
 * @param bytes - The decompressed file contents.
 * @param file - The file name, for error messages.
 * @param expectedMagic - {@link IDX_IMAGES_MAGIC} or {@link IDX_LABELS_MAGIC}, when known.
 * @throws DataError naming the file when the magic number is wrong, the header or data is
 *   truncated, or there are trailing bytes.
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedMagic?: number): IdxArray {
  if (bytes.length < 4)
    throw new DataError(`${file}: truncated: ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Messages never quote the bytes of a file that is not IDX: a path planted to point at a
  // secret file must not carry its contents into an error (and from there into logs or Redis).
  // Past the first check, the first two bytes are known (0, 0).
  const magic = view.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new DataError(`${file}: not an IDX file (its first bytes are not an IDX magic number)`);
  if (bytes[2] !== 0x08)
    throw new DataError(
      `${file}: unsupported IDX element type 0x${(bytes[2] as number).toString(16).padStart(2, "0")} (expected 0x08, unsigned byte)`,
    );
  if (expectedMagic !== undefined && magic !== expectedMagic)
    throw new DataError(
      `${file}: wrong magic number ${hex(magic)} (expected ${hex(expectedMagic)}, ${expectedMagic === IDX_IMAGES_MAGIC ? "images" : "labels"})`,
    );
  const ndims = bytes[3] as number;
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength)
    throw new DataError(
      `${file}: truncated header: ${ndims} dimensions need ${headerLength} bytes, the file has ${bytes.length}`,
    );
  const dims: number[] = [];
  let size = 1;
  for (let d = 0; d < ndims; d++) {
    const dim = view.getUint32(4 + 4 * d);
    dims.push(dim);
    size *= dim;
  }
  const available = bytes.length - headerLength;
  if (available < size)
    throw new DataError(
      `${file}: truncated: the header promises ${size} data bytes (${dims.join("x")}), the file has ${available}`,
    );
  if (available > size)
    throw new DataError(
      `${file}: ${available - size} unexpected trailing bytes after ${size} data bytes (${dims.join("x")})`,
    );
  return { dims, data: bytes.subarray(headerLength) };
}

/**
 * Reads and parses an IDX file, gzipped or raw, of at most `maxBytes` decompressed.
 * @throws DataError naming the file when it is missing, too large, corrupt or malformed.
 */
export async function readIdxFile(
  path: string,
  expectedMagic?: number,
  maxBytes?: number,
): Promise<IdxArray> {
  return parseIdx(await readMaybeGzip(path, maxBytes), path, expectedMagic);
}

/** Options of {@link loadIdxDataset}. */
export interface LoadImageDatasetOptions {
  /**
   * The directory holding the files. Default: for Fashion-MNIST
   * `/usr/share/datasets/fashion-mnist` (Debian's `dataset-fashion-mnist`) when it holds the
   * files, else the cache directory `blazefl data fetch` writes to.
   */
  readonly dir?: string | undefined;
  /** Optional normalisation after `pixel / 255`; default none (features are `pixel / 255`). */
  readonly normalization?: Normalization | undefined;
}

/** The two splits of an image dataset. */
export interface ImageDatasetSplits {
  /** The training split. */
  readonly train: ImageStore;
  /** The test split. */
  readonly test: ImageStore;
  /** The directory the files were read from. */
  readonly dir: string;
}

/**
 * Loads MNIST or Fashion-MNIST from the four IDX files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each gzipped
 * with `.gz` or raw). Checks the magic numbers, that images are 28x28, that image and label
 * counts agree, and that labels are 0-9. Pixels stay uint8 in memory; features read as
 * float32 `pixel / 255` (see {@link ImageStore}).
 * @throws DataError naming the file and the problem.
 */
export async function loadIdxDataset(
  name: "fashion-mnist" | "mnist",
  options: LoadImageDatasetOptions = {},
): Promise<ImageDatasetSplits> {
  const info = datasetInfo(name);
  const dir = options.dir ?? resolveDefaultDataDir(name, "train-images-idx3-ubyte");
  const hint = `Run \`blazefl data fetch ${name} --dir ${dir}\` to download it, or pass the directory that holds it.`;
  const [height, width] = info.sampleShape as [number, number, number];
  const loadSplit = async (prefix: "train" | "t10k") => {
    const imagesPath = await findDataFile(dir, `${prefix}-images-idx3-ubyte`, hint);
    const labelsPath = await findDataFile(dir, `${prefix}-labels-idx1-ubyte`, hint);
    // The official sizes bound the files: 16 header bytes + n x 28 x 28, and 8 + n.
    const n = (prefix === "train" ? info.trainSize : info.testSize) ?? 1_000_000;
    const images = await readIdxFile(imagesPath, IDX_IMAGES_MAGIC, 16 + n * height * width);
    const labels = await readIdxFile(labelsPath, IDX_LABELS_MAGIC, 8 + n);
    const [count, rows, cols] = images.dims as [number, number, number];
    if (rows !== height || cols !== width)
      throw new DataError(`${imagesPath}: images are ${rows}x${cols}, expected ${height}x${width}`);
    if (labels.dims[0] !== count)
      throw new DataError(
        `${labelsPath}: ${labels.dims[0]} labels for the ${count} images of ${imagesPath}`,
      );
    for (let i = 0; i < labels.data.length; i++)
      if ((labels.data[i] as number) >= info.numClasses)
        throw new DataError(
          `${labelsPath}: label ${labels.data[i]} of sample ${i} is out of range (expected 0-${info.numClasses - 1})`,
        );
    return new ImageStore({
      pixels: images.data,
      labels: labels.data,
      sampleShape: info.sampleShape,
      numClasses: info.numClasses,
      normalization: options.normalization,
      source: imagesPath,
    });
  };
  const train = await loadSplit("train");
  const test = await loadSplit("t10k");
  return { train, test, dir };
}
