/** Helpers of the pool tests: toy payloads, FIFOs to hear from workers, the process table. */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ToyDown } from "../fixtures/core/toy-trainers.js";

/** A toy payload: a string and `n` float32 values. */
export function toyPayload(text = "srv", n = 5): ToyDown {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = 0.1 * (i + 1);
  return { text, values };
}

/** A temporary directory for markers and FIFOs, removed by `dispose`. */
export function scratchDir(): { path: string; file(name: string): string; dispose(): void } {
  const path = mkdtempSync(join(tmpdir(), "blazefl-test-"));
  return {
    path,
    file: (name) => join(path, name),
    dispose: () => rmSync(path, { recursive: true, force: true }),
  };
}

/**
 * A named pipe a worker writes one line to when it has started (its pid). `next` resolves with
 * that line: synchronisation by message, not by sleeping. `dispose` unblocks a pending read.
 */
export function fifo(path: string): { path: string; next(): Promise<string>; dispose(): void } {
  execFileSync("mkfifo", [path]);
  return {
    path,
    next: async () => (await readFile(path, "utf8")).trim(),
    dispose: () => {
      try {
        // A reader still blocked in open() gets EOF once a writer opens and closes the pipe.
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader waiting
      }
    },
  };
}

/** True while `pid` is a live process (not a zombie), according to /proc. */
export function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const text = readFileSync(stat, "utf8");
    const state = text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The pids of the live children of `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter((s) => s !== "")
      .map(Number)
      .filter(isRunning);
  } catch {
    return [];
  }
}

/** A deterministic shuffle of 0..n-1 (a fixed permutation, no randomness needed). */
export function shuffledIds(n: number): number[] {
  const ids = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = (i * 7 + 3) % (i + 1);
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  return ids;
}
