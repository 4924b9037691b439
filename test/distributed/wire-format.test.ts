import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FedAvgClientConfig } from "../../src/contrib/fedavg/client-config.js";
import { DistributedError, OptionsError } from "../../src/core/errors.js";
import { parseJobData } from "../../src/distributed/job-data.js";
import { RunKeyspace } from "../../src/distributed/keyspace.js";
import {
  decodeRunConfig,
  encodeRunConfig,
  type RedisRunConfig,
} from "../../src/distributed/run-config.js";
import {
  decodeFloat32,
  decodeUplink,
  encodeUplink,
  float32Bytes,
  sha256Hex,
  signUplink,
  UPLINK_HEADER_BYTES,
  verifyUplink,
} from "../../src/distributed/wire-format.js";

const client: FedAvgClientConfig = {
  seed: 42,
  epochs: 1,
  batchSize: 32,
  lr: 0.01,
  momentum: 0,
  weightDecay: 0,
  modelName: "logreg",
  dataset: {
    dataset: "synthetic",
    numClients: 20,
    partition: "natural",
    seed: 42,
    synthetic: { alpha: 1, beta: 1 },
  },
};
const runConfig: RedisRunConfig = {
  v: 1,
  client,
  numParameters: 610,
  device: "cpu",
  keyTtlMs: 1000,
};
const D = "a".repeat(64);
const C = "b".repeat(64);

describe("uplink encoding", () => {
  const pkg = {
    cid: 7,
    modelParameters: new Float32Array([1.5, -2, 3.25, 0]),
    dataSize: 123,
    metadata: { loss: 0.5 },
  };

  it("round-trips, and equal packages give equal bytes", () => {
    const bytes = encodeUplink(pkg, 3);
    assert.equal(bytes.byteLength, UPLINK_HEADER_BYTES + 16);
    assert.deepEqual(encodeUplink({ ...pkg }, 3), bytes);
    const back = decodeUplink(bytes, { cid: 7, round: 3, numParameters: 4 });
    assert.deepEqual(back, pkg);
    // A NaN loss (no batch trained) is allowed.
    const nan = decodeUplink(encodeUplink({ ...pkg, metadata: { loss: Number.NaN } }, 3), {
      cid: 7,
      round: 3,
      numParameters: 4,
    });
    assert.ok(Number.isNaN(nan.metadata?.loss));
  });

  it("decodes from an unaligned buffer", () => {
    const bytes = encodeUplink(pkg, 3);
    const shifted = Buffer.alloc(bytes.byteLength + 1);
    bytes.copy(shifted, 1);
    const back = decodeUplink(shifted.subarray(1), { cid: 7, round: 3, numParameters: 4 });
    assert.deepEqual(back.modelParameters, pkg.modelParameters);
  });

  it("rejects results that do not match, naming what", () => {
    const bytes = encodeUplink(pkg, 3);
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.from("nope"), /bad header/],
      [bytes, /marked as client 7/],
      [encodeUplink(pkg, 4), /marked as round 4/],
      [bytes.subarray(0, bytes.byteLength - 4), /has 4 parameters, expected 4|has 12 bytes/],
      [encodeUplink({ ...pkg, dataSize: 0 }, 3), /data size 0/],
      [encodeUplink({ ...pkg, dataSize: 1.5 }, 3), /data size 1.5/],
      [
        encodeUplink({ ...pkg, modelParameters: new Float32Array([1, Number.NaN, 0, 0]) }, 3),
        /non-finite value at index 1/,
      ],
    ];
    for (const [i, [input, message]] of cases.entries()) {
      const expected = { cid: i === 1 ? 8 : 7, round: 3, numParameters: 4 };
      assert.throws(
        () => decodeUplink(input, expected),
        (e: unknown) => e instanceof DistributedError && message.test(e.message),
        `case ${i}`,
      );
    }
    assert.throws(
      () => decodeUplink(bytes, { cid: 7, round: 3, numParameters: 5 }),
      /has 4 parameters, expected 5/,
    );
  });

  it("checks raw models for size and finite values", () => {
    const v = new Float32Array([1, 2, 3]);
    assert.deepEqual(decodeFloat32(float32Bytes(v), 3, "m"), v);
    assert.throws(() => decodeFloat32(float32Bytes(v), 4, "m"), /m has 12 bytes, expected 16/);
    v[2] = Number.POSITIVE_INFINITY;
    assert.throws(() => decodeFloat32(float32Bytes(v), 3, "m"), /non-finite value at index 2/);
  });
});

describe("job data", () => {
  const good = { v: 1, runId: "default", round: 2, cid: 5, configDigest: C, downlinkDigest: D };

  it("accepts ids and digests", () => {
    assert.deepEqual(parseJobData(good), good);
  });

  it("rejects anything else: extra fields, code, wrong types, bad digests", () => {
    const bad: unknown[] = [
      null,
      "x",
      { ...good, module: "file:///evil.js" },
      { ...good, cid: -1 },
      { ...good, cid: 1.5 },
      { ...good, round: "2" },
      { ...good, configDigest: "abc" },
      { ...good, downlinkDigest: D.toUpperCase() },
      { ...good, runId: "../x" },
      { ...good, v: 2 },
      { ...good, cid: Number.NaN },
    ];
    for (const value of bad)
      assert.throws(
        () => parseJobData(value),
        (e: unknown) => e instanceof DistributedError && /Malformed job data/.test(e.message),
        JSON.stringify(value),
      );
    assert.throws(() => parseJobData({ ...good, module: "x" }), /unknown field "module"/);
  });
});

describe("run configuration", () => {
  it("encodes canonically (key order does not matter) and decodes after checking the digest", () => {
    const a = encodeRunConfig(runConfig);
    const reordered = encodeRunConfig({
      keyTtlMs: 1000,
      device: "cpu",
      numParameters: 610,
      client: { ...client, dataset: { ...client.dataset } },
      v: 1,
    });
    assert.equal(a.digest, reordered.digest);
    assert.equal(a.digest, sha256Hex(a.bytes));
    assert.deepEqual(decodeRunConfig(a.bytes, a.digest), runConfig);
    assert.throws(() => decodeRunConfig(a.bytes, C), /digest is/);
  });

  it("refuses unknown fields, wrong values and non-JSON", () => {
    const raw = (value: unknown) => {
      const bytes = Buffer.from(JSON.stringify(value));
      return () => decodeRunConfig(bytes, sha256Hex(bytes));
    };
    assert.throws(raw({ ...runConfig, script: "x" }), /unknown field "script"/);
    assert.throws(
      raw({ ...runConfig, client: { ...client, workerModule: "file:///x.js" } }),
      /unknown field "workerModule" in client/,
    );
    assert.throws(raw({ ...runConfig, client: { ...client, lr: -1 } }), /client.lr/);
    assert.throws(raw({ ...runConfig, device: "tpu" }), /device/);
    assert.throws(
      raw({ ...runConfig, client: { ...client, dataset: { ...client.dataset, partition: "x" } } }),
      DistributedError,
    );
    const junk = Buffer.from("{not json");
    assert.throws(() => decodeRunConfig(junk, sha256Hex(junk)), /not JSON/);
  });
});

describe("RunKeyspace", () => {
  it("namespaces every key by prefix and run, and names rounds by content", () => {
    const keys = new RunKeyspace("lab", "exp-1");
    const ref = { round: 4, downlinkDigest: D, configDigest: C };
    assert.equal(keys.queueName, "fedavg-exp-1");
    assert.equal(keys.eventsKey, "lab:fedavg-exp-1:events");
    assert.ok(keys.configKey(C).startsWith("lab:run:exp-1:config:"));
    assert.ok(keys.downlinkKey(4, D).startsWith("lab:run:exp-1:r4:down:"));
    assert.equal(
      keys.resultKey(ref, 9),
      `lab:run:exp-1:r4:up:${D.slice(0, 16)}.${C.slice(0, 16)}:9`,
    );
    const jobId = keys.jobId(ref, 9);
    assert.ok(!jobId.includes(":") && !/^\d+$/.test(jobId));
    assert.notEqual(keys.jobId({ ...ref, downlinkDigest: C }, 9), jobId);
    assert.notEqual(new RunKeyspace("lab", "exp-2").resultKey(ref, 9), keys.resultKey(ref, 9));
  });

  it("rejects run ids and prefixes that could escape their namespace", () => {
    for (const bad of ["", "a:b", "a b", "*", "-x", "x".repeat(65)])
      assert.throws(
        () => new RunKeyspace("blazefl", bad),
        (e: unknown) => e instanceof OptionsError && e.option === "runId",
      );
    assert.throws(() => new RunKeyspace("a:b"), OptionsError);
  });
});

describe("uplink signatures", () => {
  it("verify only under the run's key, for the key name they were made for, unaltered", () => {
    const key = new Uint8Array(32).fill(3);
    const body = Buffer.from("a result's bytes");
    const signed = signUplink(body, key, "blazefl:run:r:r0:up:x:4");
    assert.deepEqual(Buffer.from(verifyUplink(signed, key, "blazefl:run:r:r0:up:x:4") ?? []), body);
    assert.equal(verifyUplink(signed, key, "blazefl:run:r:r0:up:x:5"), undefined, "moved");
    assert.equal(verifyUplink(signed, new Uint8Array(32), "blazefl:run:r:r0:up:x:4"), undefined);
    const altered = Buffer.from(signed);
    altered[0] = (altered[0] as number) ^ 1;
    assert.equal(verifyUplink(altered, key, "blazefl:run:r:r0:up:x:4"), undefined, "altered");
    assert.equal(verifyUplink(body.subarray(0, 3), key, "k"), undefined, "too short");
  });
});
