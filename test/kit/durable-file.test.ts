import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { OutputFileError, writeFileAtomic } from "../../src/kit/durable-file.js";

const FILL = fileURLToPath(new URL("../fixtures/kit/fill-disk.ts", import.meta.url));

interface Outcome {
  readonly big?: { kind: string; errno?: string; path?: string; message: string };
  readonly modelIntact: boolean;
  readonly leftovers: string[];
  readonly append?: { kind: string; errno?: string; path?: string; message: string };
  readonly rounds: number;
  readonly lines: number;
  readonly wellFormed: boolean;
  readonly reopenedRecords: number;
}

/** Runs the fill-disk child in `dir`, under `ulimit -f KB` when `fileLimitKb` is given. */
function fill(dir: string, fileLimitKb?: number): Outcome {
  const node = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(FILL)} ${JSON.stringify(dir)}`;
  const script =
    fileLimitKb !== undefined ? `ulimit -f ${fileLimitKb}; exec ${node}` : `exec ${node}`;
  const child = spawnSync("bash", ["-c", script], { encoding: "utf8" });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "null") as Outcome;
}

function assertFullDiskHandled(outcome: Outcome, dir: string, errno: string): void {
  assert.equal(outcome.big?.kind, "OutputFileError", JSON.stringify(outcome.big));
  assert.equal(outcome.big?.errno, errno);
  assert.equal(outcome.big?.path, join(dir, "model.f32"));
  assert.match(outcome.big?.message ?? "", /model\.f32.*intact/);
  assert.ok(outcome.modelIntact, "the last good model.f32 is byte for byte the same");
  assert.deepEqual(outcome.leftovers, [], "no temporary file is left to fill the disk");
  assert.equal(outcome.append?.kind, "OutputFileError", JSON.stringify(outcome.append));
  assert.equal(outcome.append?.errno, errno);
  assert.ok(outcome.rounds > 10, `some rounds fit (${outcome.rounds})`);
  assert.equal(outcome.lines, outcome.rounds, "the failed append left no torn line");
  assert.ok(outcome.wellFormed, "metrics.jsonl ends with a complete line");
  assert.equal(outcome.reopenedRecords, outcome.rounds);
}

/** Mounts a tmpfs of `size` on a new directory, or returns undefined where that is not allowed. */
function mountTmpfs(t: TestContext, size: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-tmpfs-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], {
    encoding: "utf8",
  });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    t.diagnostic(`cannot mount a tmpfs here (${mounted.stderr.trim()}); RLIMIT_FSIZE stands in`);
    return undefined;
  }
  t.after(() => {
    spawnSync("umount", [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

describe("durable files on a full disk", () => {
  it("a real 300 KB tmpfs: ENOSPC is an OutputFileError naming the file, the old file intact", (t) => {
    const mounted = mountTmpfs(t, "300k");
    if (mounted !== undefined) {
      assertFullDiskHandled(fill(mounted), mounted, "ENOSPC");
      return;
    }
    // Not root: a file-size limit gives the same short write followed by an error (EFBIG).
    const dir = mkdtempSync(join(tmpdir(), "blazefl-fsize-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assertFullDiskHandled(fill(dir, 300), dir, "EFBIG");
  });

  it("a short write under a file-size limit is continued, then fails; nothing truncated is kept", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "blazefl-fsize-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assertFullDiskHandled(fill(dir, 300), dir, "EFBIG");
  });

  it("a directory that is not writable gives an OutputFileError naming the path", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "blazefl-durable-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "missing", "config.json");
    assert.throws(
      () => writeFileAtomic(file, [Buffer.from("{}")]),
      (error: unknown) =>
        error instanceof OutputFileError && error.path === file && error.errno === "ENOENT",
    );
    // A file where a directory should be: the path and the cause, in one line.
    const blocker = join(dir, "out");
    writeFileSync(blocker, "x");
    assert.throws(
      () => writeFileAtomic(join(blocker, "a.json"), [Buffer.from("{}")]),
      (error: unknown) =>
        error instanceof OutputFileError &&
        error.errno === "ENOTDIR" &&
        !error.message.includes("\n"),
    );
  });

  it("replaces the old file and leaves nothing else behind", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "blazefl-durable-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "d"));
    const file = join(dir, "d", "x.bin");
    writeFileAtomic(file, [Buffer.from("old")]);
    writeFileAtomic(file, [Buffer.from("ne"), Buffer.from("w")]);
    assert.equal(readFileSync(file, "utf8"), "new");
    assert.deepEqual(readdirSync(join(dir, "d")), ["x.bin"]);
  });
});
