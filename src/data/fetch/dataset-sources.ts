/**
 * Where the official dataset files are published, with their known digests.
 *
 * @module
 */
import type { ImageDatasetName } from "../datasets/catalog.js";

/** One published file. */
export interface RemoteFile {
  /** The file name, appended to a base URL. */
  readonly name: string;
  /** The MD5 digest of the official file, lower-case hex (the digest the publishers list). */
  readonly md5: string;
}

/** Where a dataset is published. */
export interface DatasetSource {
  /** Base URLs to try in order (each ends in "/"). */
  readonly baseUrls: readonly string[];
  /** The files to download. */
  readonly files: readonly RemoteFile[];
}

/**
 * The official files. Digests: Fashion-MNIST's from Zalando's README (also torchvision's);
 * MNIST's as torchvision lists them for its mirrors; CIFAR-10's binary archive from the
 * dataset's page (https://www.cs.toronto.edu/~kriz/cifar.html).
 */
export const DATASET_SOURCES: Readonly<Record<ImageDatasetName, DatasetSource>> = {
  "fashion-mnist": {
    baseUrls: [
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
    files: [
      { name: "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d" },
      { name: "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8a0aad5dffbe" },
      { name: "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79" },
      { name: "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310" },
    ],
  },
  mnist: {
    baseUrls: [
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    files: [
      { name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873" },
      { name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432" },
      { name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3" },
      { name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c" },
    ],
  },
  cifar10: {
    baseUrls: ["https://www.cs.toronto.edu/~kriz/"],
    files: [{ name: "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530" }],
  },
};
