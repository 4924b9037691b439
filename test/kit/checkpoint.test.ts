import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { exitCodeFor } from "../../src/core/errors.js";
import { checkpointPath, readCheckpoint, writeCheckpoint } from "../../src/kit/checkpoint.js";
import { CorruptFileError } from "../../src/kit/corrupt-file-error.js";

const noState = { vectors: {}, json: null };

function bytesOf(v: Float32Array | undefined): Uint8Array {
  assert.ok(v !== undefined);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

describe("checkpoints", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-ckpt-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips the round, the model, server vectors and JSON, and the client-state table bit for bit", () => {
    assert.equal(readCheckpoint(dir), undefined);
    writeCheckpoint(dir, {
      round: 1,
      configDigest: "abc",
      model: new Float32Array([1, 2, 3]),
      server: noState,
    });
    const model = new Float32Array([0.1, -0, Number.MIN_VALUE, 3.4e38]);
    const control = new Float32Array([5, -6]);
    writeCheckpoint(dir, {
      round: 2,
      configDigest: "abc",
      model,
      server: { vectors: { control }, json: { steps: 7 } },
      clientState: {
        length: 2,
        slots: [
          [3, 0],
          [9, 1],
        ],
      },
    });
    const ckpt = readCheckpoint(dir);
    assert.equal(ckpt?.header.round, 2);
    assert.equal(ckpt?.header.configDigest, "abc");
    assert.deepEqual(ckpt?.header.server, { steps: 7 });
    assert.deepEqual(ckpt?.header.clientState?.slots, [
      [3, 0],
      [9, 1],
    ]);
    assert.deepEqual(bytesOf(ckpt?.vectors.model), bytesOf(model));
    assert.deepEqual(bytesOf(ckpt?.vectors.control), bytesOf(control));
  });

  it("detects truncation and corruption", () => {
    writeCheckpoint(dir, {
      round: 3,
      configDigest: "abc",
      model: new Float32Array([1, 2, 3]),
      server: noState,
    });
    const file = checkpointPath(dir);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 2));
    assert.throws(() => readCheckpoint(dir), CorruptFileError);
    const corrupt = Buffer.from(bytes);
    corrupt.writeUInt8((corrupt.at(-1) ?? 0) ^ 0xff, corrupt.length - 1);
    writeFileSync(file, corrupt);
    assert.throws(() => readCheckpoint(dir), /sha256/);
    writeFileSync(file, Buffer.from([1, 0]));
    assert.throws(() => readCheckpoint(dir), /truncated/);
  });

  it("a header that is JSON but not a header names the file, exit 2, not a TypeError", () => {
    const file = checkpointPath(dir);
    for (const json of ["null", "[]", '{"version":2,"round":1,"vectors":[null]}']) {
      const header = Buffer.from(json);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(header.length, 0);
      writeFileSync(file, Buffer.concat([len, header]));
      assert.throws(
        () => readCheckpoint(dir),
        (error: unknown) =>
          error instanceof CorruptFileError &&
          error.path === file &&
          exitCodeFor(error) === 2 &&
          /not a version 2 header/.test(error.message),
      );
    }
  });
});
