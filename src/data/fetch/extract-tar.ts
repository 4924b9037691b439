/**
 * {@link extractTarGz}: streams selected regular files out of a .tar.gz archive.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { DataError } from "../errors.js";

const BLOCK = 512;

function readString(header: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && header[end] !== 0) end++;
  return Buffer.from(header.subarray(start, end)).toString("utf8");
}

function readSize(header: Uint8Array, archive: string): number {
  // GNU base-256 for sizes of 8 GiB and more.
  if (((header[124] as number) & 0x80) !== 0) {
    let size = 0;
    for (let i = 125; i < 136; i++) size = size * 256 + (header[i] as number);
    return size;
  }
  const text = readString(header, 124, 12).trim();
  if (!/^[0-7]*$/.test(text))
    throw new DataError(`${archive}: corrupt tar header (size "${text}")`);
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function checkChecksum(header: Uint8Array, archive: string): void {
  const stored = Number.parseInt(readString(header, 148, 8).trim() || "x", 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
  if (stored !== sum) throw new DataError(`${archive}: corrupt tar header (bad checksum)`);
}

/** A pax extended header's `path=` record, if any. */
function paxPath(data: Uint8Array): string | undefined {
  const text = Buffer.from(data).toString("utf8");
  let offset = 0;
  while (offset < text.length) {
    const space = text.indexOf(" ", offset);
    if (space < 0) break;
    const length = Number(text.slice(offset, space));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = text.slice(space + 1, offset + length - 1);
    if (record.startsWith("path=")) return record.slice(5);
    offset += length;
  }
  return undefined;
}

/**
 * Extracts from the gzipped tar `archive` the regular files `select` names: it receives each
 * entry's path and returns the file name to write in `destDir`, or undefined to skip the entry.
 * Each file is written to `name.part` and renamed when complete. Only names returned by
 * `select` are ever written, so entry paths cannot escape `destDir`.
 * @returns The names written.
 * @throws DataError naming the archive when it is corrupt or truncated.
 */
export async function extractTarGz(
  archive: string,
  destDir: string,
  select: (entryPath: string) => string | undefined,
): Promise<string[]> {
  await mkdir(destDir, { recursive: true });
  const written: string[] = [];
  let pending: Buffer = Buffer.alloc(0);
  // The state of the entry being read.
  let remaining = 0; // data bytes left in the current entry
  let padding = 0; // padding bytes after them
  let target: { handle: FileHandle; name: string } | undefined;
  let collect: { kind: "longname" | "pax"; chunks: Buffer[] } | undefined;
  let nextName: string | undefined;
  let ended = false;
  const source = createReadStream(archive).pipe(createGunzip());
  try {
    for await (const chunk of source) {
      pending =
        pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
      while (!ended) {
        if (remaining > 0) {
          if (pending.length === 0) break;
          const take = Math.min(remaining, pending.length);
          const piece = pending.subarray(0, take);
          if (target !== undefined) await target.handle.write(piece);
          else if (collect !== undefined) collect.chunks.push(Buffer.from(piece));
          pending = pending.subarray(take);
          remaining -= take;
          if (remaining > 0) break;
          if (target !== undefined) {
            await target.handle.close();
            await rename(join(destDir, `${target.name}.part`), join(destDir, target.name));
            written.push(target.name);
            target = undefined;
          }
          if (collect !== undefined) {
            const data = Buffer.concat(collect.chunks);
            nextName =
              collect.kind === "longname" ? readString(data, 0, data.length) : paxPath(data);
            collect = undefined;
          }
        }
        if (padding > 0) {
          const take = Math.min(padding, pending.length);
          pending = pending.subarray(take);
          padding -= take;
          if (padding > 0) break;
        }
        if (pending.length < BLOCK) break;
        const header = pending.subarray(0, BLOCK);
        pending = pending.subarray(BLOCK);
        if (header.every((b) => b === 0)) {
          ended = true;
          break;
        }
        checkChecksum(header, archive);
        const size = readSize(header, archive);
        const type = String.fromCharCode(header[156] as number);
        const prefix = readString(header, 257, 6) === "ustar" ? readString(header, 345, 155) : "";
        const headerName = readString(header, 0, 100);
        const path = nextName ?? (prefix !== "" ? `${prefix}/${headerName}` : headerName);
        if (type !== "L" && type !== "x") nextName = undefined;
        remaining = size;
        padding = (BLOCK - (size % BLOCK)) % BLOCK;
        if (type === "L") collect = { kind: "longname", chunks: [] };
        else if (type === "x") collect = { kind: "pax", chunks: [] };
        else if (type === "0" || type === "\0") {
          const name = select(path);
          if (name !== undefined) {
            target = { handle: await open(join(destDir, `${name}.part`), "w"), name };
            if (size === 0) {
              await target.handle.close();
              await rename(join(destDir, `${name}.part`), join(destDir, name));
              written.push(name);
              target = undefined;
            }
          }
        }
        if (size === 0) collect = undefined;
      }
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(
      `${archive}: corrupt archive (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  } finally {
    if (target !== undefined) {
      await target.handle.close();
      await rm(join(destDir, `${target.name}.part`), { force: true });
    }
  }
  if (!ended && (remaining > 0 || target !== undefined || pending.length > 0))
    throw new DataError(`${archive}: truncated archive (it ends inside an entry)`);
  return written;
}
