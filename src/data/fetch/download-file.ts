/**
 * {@link downloadFile}: an atomic, resumable HTTP(S) download with a checksum.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { dirname } from "node:path";
import { AbortError, OptionsError } from "../../core/errors.js";
import { DataError } from "../errors.js";

/** Options of {@link downloadFile}. */
export interface DownloadFileOptions {
  /** The http: or https: URL. */
  readonly url: string;
  /** The final path; the download goes to `dest + ".part"` and is renamed when verified. */
  readonly dest: string;
  /** The expected MD5 digest (hex); omit it to skip the check. */
  readonly md5?: string | undefined;
  /**
   * Milliseconds to wait for a connection, for the response headers and between two chunks
   * of data before giving up.
   * @default 15000
   */
  readonly timeoutMs?: number;
  /** Aborts the download; the partial file is kept for a later resume. */
  readonly signal?: AbortSignal | undefined;
  /** Called as bytes arrive, with the bytes so far (including a resumed prefix) and the total. */
  readonly onProgress?: ((received: number, total: number | undefined) => void) | undefined;
}

/** What {@link downloadFile} did. */
export interface DownloadResult {
  /** The final path. */
  readonly path: string;
  /** The file's size in bytes. */
  readonly bytes: number;
  /** The file's MD5 digest (hex). */
  readonly md5: string;
  /** The number of bytes that were already in the `.part` file and were kept (0 if none). */
  readonly resumedFrom: number;
}

/** The MD5 digest (hex) of a file, streamed. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** A network failure, with the advice every caller wants to print. */
function networkError(url: string, error: unknown): DataError {
  const code = (error as { code?: unknown } | null)?.code;
  const host = new URL(url).host;
  const reason =
    code === "ETIMEDOUT"
      ? "timed out"
      : code === "ECONNREFUSED"
        ? "connection refused"
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? `cannot resolve ${host}`
          : error instanceof Error
            ? error.message
            : String(error);
  return new DataError(
    `Cannot download ${url}: ${reason}${typeof code === "string" ? ` (${code})` : ""}. This machine may have no internet access: download the files on another machine and copy them into the data directory, or pass --base-url with a reachable mirror.`,
    { cause: error },
  );
}

interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: http.IncomingMessage;
  readonly url: string;
}

/** Sends a GET, following redirects, and resolves with the response once its headers arrive. */
function get(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  redirects = 5,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      reject(new OptionsError("url", url, "an http: or https: URL", { cause: error }));
      return;
    }
    const client =
      parsed.protocol === "https:" ? https : parsed.protocol === "http:" ? http : undefined;
    if (client === undefined) {
      reject(new OptionsError("url", url, "an http: or https: URL"));
      return;
    }
    const request = client.get(parsed, {
      headers: { "user-agent": "blazefl-data-fetch", ...headers },
      timeout: timeoutMs,
      ...(signal !== undefined ? { signal } : {}),
    });
    // The socket timeout covers connecting and idle sockets; this covers a slow DNS lookup and
    // a server that accepts but never answers.
    const deadline = setTimeout(() => {
      request.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    request.on("timeout", () => {
      request.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
    });
    request.on("error", (error) => {
      clearTimeout(deadline);
      if (signal?.aborted) reject(new AbortError(`Download of ${url} aborted`, { cause: error }));
      else reject(networkError(url, error));
    });
    request.on("response", (response) => {
      clearTimeout(deadline);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        response.resume();
        if (redirects === 0) {
          reject(new DataError(`Cannot download ${url}: too many redirects`));
          return;
        }
        get(new URL(location, parsed).toString(), headers, timeoutMs, signal, redirects - 1).then(
          resolve,
          reject,
        );
        return;
      }
      resolve({ status, headers: response.headers, body: response, url });
    });
  });
}

/** Parses `bytes START-END/TOTAL` (TOTAL may be `*`). */
function parseContentRange(
  value: string | undefined,
): { start: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value ?? "");
  if (match === null) return undefined;
  return { start: Number(match[1]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

/**
 * Downloads `url` to `dest` atomically: the bytes go to `dest.part`, which is renamed to
 * `dest` only once complete and (when `md5` is given) verified. An existing `dest.part` is
 * resumed with an HTTP Range request; a server that ignores it sends the whole file again.
 * A failed checksum deletes the partial file.
 * @throws DataError naming the URL on network failures (with advice for offline machines), HTTP
 *   errors, early ends and checksum mismatches; AbortError when `signal` aborts.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadResult> {
  const { url, dest, md5, signal, onProgress } = options;
  const timeoutMs = options.timeoutMs ?? 15_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new OptionsError("timeoutMs", timeoutMs, "a number of milliseconds > 0");
  if (signal?.aborted) throw new AbortError(`Download of ${url} aborted`);
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  let offset = await fileSize(part);
  // A complete .part from an interrupted rename needs no request at all.
  if (offset > 0 && md5 !== undefined && (await md5File(part)) === md5) {
    await rename(part, dest);
    return { path: dest, bytes: offset, md5, resumedFrom: offset };
  }
  let response = await get(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, timeoutMs, signal);
  if (response.status === 416 && offset > 0) {
    // The .part is not a prefix the server recognises: start again.
    response.body.resume();
    await rm(part, { force: true });
    offset = 0;
    response = await get(url, {}, timeoutMs, signal);
  }
  let total: number | undefined;
  let append = false;
  if (response.status === 206) {
    const range = parseContentRange(response.headers["content-range"]);
    if (range === undefined || range.start !== offset) {
      response.body.resume();
      throw new DataError(
        `Cannot resume ${url}: the server answered with range ${response.headers["content-range"] ?? "(none)"} for a request from byte ${offset}; delete ${part} and try again`,
      );
    }
    total = range.total;
    append = true;
  } else if (response.status === 200) {
    const length = Number(response.headers["content-length"]);
    total =
      Number.isFinite(length) && response.headers["content-length"] !== undefined
        ? length
        : undefined;
    offset = 0;
  } else {
    response.body.resume();
    throw new DataError(
      `Cannot download ${response.url}: HTTP ${response.status} ${response.body.statusMessage ?? ""}`.trim(),
    );
  }
  const resumedFrom = offset;
  const handle = await open(part, append ? "a" : "w");
  let received = offset;
  try {
    onProgress?.(received, total);
    const body = response.body;
    body.setTimeout(timeoutMs, () => {
      body.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
    });
    for await (const chunk of body) {
      await handle.write(chunk as Buffer);
      received += (chunk as Buffer).length;
      onProgress?.(received, total);
    }
    if (!body.complete)
      throw Object.assign(new Error("the connection closed early"), { code: "ECONNRESET" });
  } catch (error) {
    if (signal?.aborted)
      throw new AbortError(`Download of ${url} aborted after ${received} bytes`, { cause: error });
    const detail = networkError(url, error).message;
    throw new DataError(
      `${detail} ${received} bytes are kept in ${part}; run the command again to resume.`,
      { cause: error },
    );
  } finally {
    await handle.close();
  }
  if (total !== undefined && received !== total)
    throw new DataError(
      `Download of ${url} ended after ${received} of ${total} bytes; ${part} is kept, run the command again to resume.`,
    );
  const digest = await md5File(part);
  if (md5 !== undefined && digest !== md5) {
    await rm(part, { force: true });
    throw new DataError(
      `Checksum mismatch for ${url}: expected md5 ${md5}, got ${digest}. The download was deleted; run the command again (or check the mirror).`,
    );
  }
  await rename(part, dest);
  return { path: dest, bytes: received, md5: digest, resumedFrom };
}
