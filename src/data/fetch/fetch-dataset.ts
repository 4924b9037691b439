/**
 * {@link fetchDataset}: downloads an image dataset's official files into a data directory.
 *
 * @module
 */
import { rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import cliProgress from "cli-progress";
import { OptionsError } from "../../core/errors.js";
import {
  assertImageDatasetName,
  datasetCacheDir,
  type ImageDatasetName,
} from "../datasets/catalog.js";
import {
  CIFAR10_ARCHIVE_FOLDER,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  loadCifar10,
} from "../datasets/cifar10.js";
import {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  loadIdxDataset,
  readIdxFile,
} from "../datasets/idx.js";
import { DATASET_SOURCES, type RemoteFile } from "./dataset-sources.js";
import { downloadFile, md5File } from "./download-file.js";
import { extractTarGz } from "./extract-tar.js";

/** Options of {@link fetchDataset}. */
export interface FetchDatasetOptions {
  /**
   * The directory to write into.
   * @default the dataset's cache directory (`datasetCacheDir(name)`)
   */
  readonly dir?: string | undefined;
  /**
   * A base URL to download from instead of the official ones (a mirror, or a test server);
   * file names are appended to it.
   */
  readonly baseUrl?: string | undefined;
  /**
   * Milliseconds to wait for a connection, response headers, or the next chunk.
   * @default 15000
   */
  readonly timeoutMs?: number | undefined;
  /** Aborts the download; partial files are kept for a later resume. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Draw progress bars on `stderr`.
   * @default true when `stderr` is a TTY
   */
  readonly progress?: boolean | undefined;
  /** Where progress goes. @default process.stderr */
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * Replaces the known MD5 digest of some files (by file name); `null` skips the checksum of
   * that file (its structure is still checked). For mirrors that recompress, and for tests.
   */
  readonly checksums?: Readonly<Record<string, string | null>> | undefined;
}

/** One file of a {@link FetchDatasetResult}. */
export interface FetchedFile {
  /** The file name. */
  readonly name: string;
  /** Its path. */
  readonly path: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** `downloaded` now, `present` (already there and valid), or `extracted` from an archive. */
  readonly status: "downloaded" | "present" | "extracted";
}

/** What {@link fetchDataset} did. */
export interface FetchDatasetResult {
  /** The dataset. */
  readonly dataset: ImageDatasetName;
  /** The directory the loaders should be pointed at (`--data-dir`). */
  readonly dir: string;
  /** The files, in order. */
  readonly files: readonly FetchedFile[];
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function expectedMd5(file: RemoteFile, options: FetchDatasetOptions): string | undefined {
  const override = options.checksums?.[file.name];
  if (override === null) return undefined;
  return override ?? file.md5;
}

function progressReporter(options: FetchDatasetOptions) {
  const stream = options.stderr ?? process.stderr;
  const enabled = options.progress ?? stream.isTTY === true;
  if (!enabled) return undefined;
  return (name: string) => {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: ` ${name} [{bar}] {percentage}% {value}/{total} MB`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        formatValue: (value, _options, type) =>
          type === "value" || type === "total" ? (value / 1e6).toFixed(1) : String(value),
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(received: number, total: number | undefined) {
        if (!started) {
          bar.start(total ?? received, received);
          started = true;
        }
        if (total === undefined) bar.setTotal(received);
        bar.update(received);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  };
}

async function fetchFile(
  file: RemoteFile,
  baseUrls: readonly string[],
  dir: string,
  options: FetchDatasetOptions,
): Promise<FetchedFile> {
  const path = join(dir, file.name);
  const md5 = expectedMd5(file, options);
  // Present with the right digest (or, when the digest is not checked, present at all: the
  // caller still checks its structure).
  if ((await exists(path)) && (md5 === undefined || (await md5File(path)) === md5))
    return { name: file.name, path, bytes: (await stat(path)).size, status: "present" };
  const makeBar = progressReporter(options);
  let lastError: unknown;
  for (const base of baseUrls) {
    const bar = makeBar?.(file.name);
    try {
      const result = await downloadFile({
        url: new URL(file.name, base).toString(),
        dest: path,
        md5,
        timeoutMs: options.timeoutMs ?? 15_000,
        signal: options.signal,
        onProgress:
          bar === undefined ? undefined : (received, total) => bar.update(received, total),
      });
      return { name: file.name, path, bytes: result.bytes, status: "downloaded" };
    } catch (error) {
      lastError = error;
      if (options.signal?.aborted) throw error;
    } finally {
      bar?.stop();
    }
  }
  throw lastError;
}

/**
 * Downloads the official files of an image dataset into `dir` (default: the dataset's cache
 * directory), verifies them and leaves them where the loaders look:
 * - Fashion-MNIST and MNIST: the four `.gz` IDX files, each checked against its published MD5
 *   digest and parsed (magic numbers, sizes, labels);
 * - CIFAR-10: `cifar-10-binary.tar.gz`, checked against its MD5, then its six batches are
 *   extracted into `dir/cifar-10-batches-bin/` and the archive is deleted.
 * Files already present with the right digest are not downloaded again. Each download is
 * atomic (a `.part` file renamed when verified) and resumable (an existing `.part` is continued
 * with an HTTP Range request). Official mirrors are tried in order; `baseUrl` replaces them.
 * @throws DataError with a clear message when the network is unreachable (fast: it waits at
 *   most `timeoutMs` for each connection), on HTTP errors, checksum mismatches and corrupt files.
 */
export async function fetchDataset(
  name: ImageDatasetName,
  options: FetchDatasetOptions = {},
): Promise<FetchDatasetResult> {
  assertImageDatasetName(name, "dataset");
  if (options.dir !== undefined && (typeof options.dir !== "string" || options.dir === ""))
    throw new OptionsError("--dir", options.dir, "a directory path");
  if (
    options.timeoutMs !== undefined &&
    !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)
  )
    throw new OptionsError("--timeout", options.timeoutMs, "a number of milliseconds > 0");
  let baseUrls = DATASET_SOURCES[name].baseUrls;
  if (options.baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (error) {
      throw new OptionsError("--base-url", options.baseUrl, "an http: or https: URL", {
        cause: error,
      });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new OptionsError("--base-url", options.baseUrl, "an http: or https: URL");
    baseUrls = [url.toString().endsWith("/") ? url.toString() : `${url.toString()}/`];
  }
  const dir = options.dir ?? datasetCacheDir(name);
  const files: FetchedFile[] = [];

  if (name !== "cifar10") {
    for (const file of DATASET_SOURCES[name].files) {
      const fetched = await fetchFile(file, baseUrls, dir, options);
      // Structure check: gzip integrity, magic number, sizes.
      await readIdxFile(
        fetched.path,
        file.name.includes("images") ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC,
      );
      files.push(fetched);
    }
    await loadIdxDataset(name, { dir });
    return { dataset: name, dir, files };
  }

  const batchesDir = join(dir, CIFAR10_ARCHIVE_FOLDER);
  const wanted = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
  const present = await Promise.all(wanted.map((f) => exists(join(batchesDir, f))));
  if (present.every(Boolean)) {
    try {
      await loadCifar10({ dir: batchesDir });
      for (const f of wanted) {
        const path = join(batchesDir, f);
        files.push({ name: f, path, bytes: (await stat(path)).size, status: "present" });
      }
      return { dataset: name, dir, files };
    } catch {
      // invalid: download again
    }
  }
  const archive = DATASET_SOURCES.cifar10.files[0] as RemoteFile;
  const fetched = await fetchFile(archive, baseUrls, dir, options);
  const names = new Set([...wanted, "batches.meta.txt"]);
  const extracted = await extractTarGz(fetched.path, batchesDir, (entry) =>
    names.has(basename(entry)) ? basename(entry) : undefined,
  );
  await loadCifar10({ dir: batchesDir });
  files.push(fetched);
  for (const f of extracted) {
    const path = join(batchesDir, f);
    files.push({ name: f, path, bytes: (await stat(path)).size, status: "extracted" });
  }
  await rm(fetched.path, { force: true });
  return { dataset: name, dir, files };
}
