import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkpointPath, readCheckpoint, writeCheckpoint } from "../../src/cli/checkpoint.js";
import { CheckpointError } from "../../src/core/errors.js";

describe("checkpoints", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-ckpt-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips the round and the parameters bit for bit, replacing the old one", () => {
    assert.equal(readCheckpoint(dir), undefined);
    writeCheckpoint(dir, 1, "abc", new Float32Array([1, 2, 3]));
    const params = new Float32Array([0.1, -0, Number.MIN_VALUE, 3.4e38]);
    writeCheckpoint(dir, 2, "abc", params);
    const ckpt = readCheckpoint(dir);
    assert.equal(ckpt?.header.round, 2);
    assert.equal(ckpt?.header.configDigest, "abc");
    assert.deepEqual(
      new Uint8Array(ckpt?.parameters.buffer as ArrayBuffer),
      new Uint8Array(params.buffer),
    );
  });

  it("detects truncation and corruption", () => {
    writeCheckpoint(dir, 3, "abc", new Float32Array([1, 2, 3]));
    const file = checkpointPath(dir);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 2));
    assert.throws(() => readCheckpoint(dir), CheckpointError);
    const corrupt = Buffer.from(bytes);
    corrupt.writeUInt8((corrupt.at(-1) ?? 0) ^ 0xff, corrupt.length - 1);
    writeFileSync(file, corrupt);
    assert.throws(() => readCheckpoint(dir), /sha256/);
    writeFileSync(file, Buffer.from([1, 0]));
    assert.throws(() => readCheckpoint(dir), /truncated/);
  });
});
