import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { DistributedError } from "../../src/distributed/errors.js";
import { parseEvaluationJobData, parseJobData } from "../../src/distributed/job-data.js";
import { RunKeyspace } from "../../src/distributed/keyspace.js";
import {
  decodeRunConfig,
  encodeRunConfig,
  type RedisRunConfig,
} from "../../src/distributed/run-config.js";
import {
  decodeEvaluationResult,
  decodeFloat32,
  decodeKitUplink,
  decodeVectors,
  encodeEvaluationResult,
  encodeKitUplink,
  encodeVectors,
  float32Bytes,
  sha256Hex,
  signUplink,
  verifyUplink,
} from "../../src/distributed/wire-format.js";

const runConfig: RedisRunConfig = {
  v: 2,
  algorithm: "scaffold",
  options: { serverLr: 1 },
  training: { seed: 42, epochs: 1, batchSize: 32, lr: 0.01, momentum: 0, weightDecay: 0 },
  model: "logreg",
  dataset: {
    dataset: "synthetic",
    numClients: 20,
    partition: "natural",
    seed: 42,
    synthetic: { alpha: 1, beta: 1 },
  },
  numParameters: 610,
  uplink: ["model", "controlDelta"],
  downlink: ["control"],
  stateLength: 610,
  device: "cpu",
  keyTtlMs: 1000,
};
const D = "a".repeat(64);
const C = "b".repeat(64);

describe("uplink encoding", () => {
  const pkg = {
    cid: 7,
    weight: 123,
    steps: 4,
    metrics: { loss: 0.5, trainSeconds: 0.25 },
    vectors: { model: new Float32Array([1.5, -2, 3.25, 0]), delta: new Float32Array(4).fill(-1) },
    state: new Float32Array([9, 8]),
  };
  const expect = {
    cid: 7,
    round: 3,
    uplinkNames: ["model", "delta"],
    numParameters: 4,
    stateLength: 2,
  };

  it("round-trips vectors, state, weight, steps and metrics; equal packages give equal bytes", () => {
    const bytes = encodeKitUplink(pkg, 3, ["model", "delta"]);
    assert.deepEqual(encodeKitUplink({ ...pkg }, 3, ["model", "delta"]), bytes);
    assert.deepEqual(decodeKitUplink(bytes, expect), pkg);
    // A NaN loss (no batch trained) travels as null and comes back NaN.
    const nan = decodeKitUplink(
      encodeKitUplink({ ...pkg, metrics: { loss: Number.NaN } }, 3, ["model", "delta"]),
      expect,
    );
    assert.ok(Number.isNaN(nan.metrics.loss));
    // Unaligned buffers decode too.
    const shifted = Buffer.alloc(bytes.byteLength + 1);
    bytes.copy(shifted, 1);
    assert.deepEqual(decodeKitUplink(shifted.subarray(1), expect).vectors.model, pkg.vectors.model);
  });

  it("rejects results that do not match, naming what", () => {
    const enc = (p: typeof pkg, round = 3) => encodeKitUplink(p, round, ["model", "delta"]);
    const bytes = enc(pkg);
    const cases: [Uint8Array, RegExp, Partial<typeof expect>?][] = [
      [Buffer.from("no"), /truncated/],
      [Buffer.from("nope, not a blob"), /bad header length|not JSON/],
      [bytes, /marked as client 7/, { cid: 8 }],
      [enc(pkg, 4), /marked as round 4/],
      [bytes.subarray(0, bytes.byteLength - 4), /vector bytes, expected/],
      [bytes, /does not hold the vectors model\[5\]/, { numParameters: 5 }],
      [bytes, /does not hold the vectors/, { uplinkNames: ["delta", "model"] }],
      [bytes, /does not hold the vectors/, { stateLength: 0 }],
      [enc({ ...pkg, weight: -1 }), /weight -1/],
      [enc({ ...pkg, steps: 1.5 }), /1.5 steps/],
      [
        enc({
          ...pkg,
          vectors: { ...pkg.vectors, model: new Float32Array([1, Number.NaN, 0, 0]) },
        }),
        /model has a non-finite value at index 1/,
      ],
    ];
    for (const [i, [input, message, override]] of cases.entries())
      assert.throws(
        () => decodeKitUplink(input, { ...expect, ...override }),
        (e: unknown) => e instanceof DistributedError && message.test(e.message),
        `case ${i}`,
      );
  });

  it("named vectors: any length where none is expected, exact names and order", () => {
    const blob = encodeVectors([
      ["model", new Float32Array([1, 2])],
      ["control", new Float32Array([3])],
    ]);
    const { vectors } = decodeVectors(
      blob,
      [
        ["model", 2],
        ["control", undefined],
      ],
      "d",
    );
    assert.deepEqual(vectors.get("control"), new Float32Array([3]));
    assert.throws(() => decodeVectors(blob, [["model", 2]], "d"), /d does not hold the vectors/);
  });

  it("checks raw vectors for size and finite values", () => {
    const v = new Float32Array([1, 2, 3]);
    assert.deepEqual(decodeFloat32(float32Bytes(v), 3, "m"), v);
    assert.throws(() => decodeFloat32(float32Bytes(v), 4, "m"), /m has 12 bytes, expected 16/);
    v[2] = Number.POSITIVE_INFINITY;
    assert.throws(() => decodeFloat32(float32Bytes(v), 3, "m"), /non-finite value at index 2/);
  });
});

describe("evaluation results", () => {
  const result = {
    round: 3,
    firstBatch: 4,
    endBatch: 7,
    batchSize: 500,
    // Doubles that float32 or a short decimal would not keep; a diverged model's NaN and Infinity.
    loss: [0.1 + 0.2, Number.NaN, Number.POSITIVE_INFINITY],
    accuracy: [0.8420000000000001, 0, 1],
    count: [500, 500, 344],
  };
  const expect = { round: 3, firstBatch: 4, endBatch: 7, batchSize: 500 };

  it("round-trip every per-batch figure bit for bit, and carry no vector", () => {
    const bytes = encodeEvaluationResult(result);
    assert.equal(bytes.byteLength, 4 + bytes.readUInt32LE(0) + 3 * 3 * 8);
    const back = decodeEvaluationResult(bytes, expect);
    assert.deepEqual(back, result);
    assert.ok(Object.is(back.loss[0], 0.1 + 0.2) && Number.isNaN(back.loss[1]));
    const shifted = Buffer.alloc(bytes.byteLength + 1);
    bytes.copy(shifted, 1);
    assert.deepEqual(decodeEvaluationResult(shifted.subarray(1), expect), result);
  });

  it("reject what does not match, and are never taken for a client's result or the reverse", () => {
    const bytes = encodeEvaluationResult(result);
    const withHeader = (header: Record<string, unknown>) => {
      const json = Buffer.from(JSON.stringify(header));
      const out = Buffer.concat([Buffer.alloc(4), json, bytes.subarray(4 + bytes.readUInt32LE(0))]);
      out.writeUInt32LE(json.length, 0);
      return out;
    };
    const header = { kind: "evaluation", v: 1, ...expect };
    const cases: [Uint8Array, RegExp, Partial<typeof expect>?][] = [
      [Buffer.from("no"), /truncated/],
      [Buffer.from("nope, not a blob"), /bad header length|not JSON/],
      [bytes, /marked as round 3, expected 4/, { round: 4 }],
      [bytes, /marked as firstBatch 4, expected 5/, { firstBatch: 5 }],
      [bytes, /marked as batchSize 500, expected 100/, { batchSize: 100 }],
      [bytes.subarray(0, bytes.byteLength - 8), /value bytes, expected 72/],
      [withHeader({ ...header, v: 2 }), /format version 2; this server reads version 1/],
      [withHeader({ ...header, kind: "client" }), /is not an evaluation result/],
      [encodeEvaluationResult({ ...result, count: [500, 501, 0] }), /count 501 for batch 5/],
      [encodeEvaluationResult({ ...result, count: [1.5, 0, 0] }), /count 1.5 for batch 4/],
      [encodeEvaluationResult({ ...result, accuracy: [2, 0, 0] }), /accuracy 2 for batch 4/],
      [
        encodeEvaluationResult({ ...result, accuracy: [Number.NaN, 0, 0] }),
        /accuracy NaN for batch 4/,
      ],
      [
        encodeKitUplink(
          { cid: 0, weight: 1, steps: 1, metrics: {}, vectors: { model: new Float32Array(3) } },
          3,
          ["model"],
        ),
        /is not an evaluation result/,
      ],
    ];
    for (const [i, [input, message, override]] of cases.entries())
      assert.throws(
        () => decodeEvaluationResult(input, { ...expect, ...override }),
        (e: unknown) =>
          e instanceof DistributedError &&
          /^The evaluation of test batches \d+ to \d+ \(round \d+\)/.test(e.message) &&
          message.test(e.message),
        `case ${i}`,
      );
    assert.throws(
      () =>
        decodeKitUplink(bytes, {
          cid: 0,
          round: 3,
          uplinkNames: ["model"],
          numParameters: 3,
          stateLength: 0,
        }),
      /does not hold the vectors model\[3\]/,
    );
    assert.throws(
      () => encodeEvaluationResult({ ...result, loss: [1] }),
      /has 1 loss values, expected 3/,
    );
  });
});

describe("job data", () => {
  const good = { v: 2, runId: "default", round: 2, cid: 5, configDigest: C, downlinkDigest: D };

  it("accepts ids, digests and a small JSON setting", () => {
    assert.deepEqual(parseJobData(good), good);
    const full = { ...good, stateDigest: C, clientConfig: { epochs: 2, straggler: true } };
    assert.deepEqual(parseJobData(full), full);
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
      { ...good, v: 1 },
      { ...good, cid: Number.NaN },
      { ...good, stateDigest: "x" },
      { ...good, clientConfig: "y".repeat(5000) },
    ];
    for (const value of bad)
      assert.throws(
        () => parseJobData(value),
        (e: unknown) => e instanceof DistributedError && /Malformed job data/.test(e.message),
        JSON.stringify(value),
      );
    assert.throws(() => parseJobData({ ...good, module: "x" }), /unknown field "module"/);
  });

  it("an evaluation job is a batch range, checked as strictly, in a version of its own", () => {
    const evaluation = {
      v: 3,
      runId: "default",
      round: 2,
      configDigest: C,
      downlinkDigest: D,
      firstBatch: 0,
      endBatch: 10,
      batchSize: 500,
    };
    assert.deepEqual(parseEvaluationJobData(evaluation), evaluation);
    const bad: [unknown, RegExp][] = [
      [{ ...evaluation, v: 2 }, /field "v"/],
      [{ ...evaluation, cid: 1 }, /unknown field "cid"/],
      [{ ...evaluation, module: "file:///evil.js" }, /unknown field "module"/],
      [{ ...evaluation, endBatch: 0 }, /field "endBatch": endBatch must be more than firstBatch/],
      [{ ...evaluation, firstBatch: -1 }, /field "firstBatch"/],
      [{ ...evaluation, endBatch: 2 ** 32 }, /field "endBatch"/],
      [{ ...evaluation, batchSize: 0 }, /field "batchSize"/],
      [{ ...evaluation, batchSize: 2 ** 30 }, /field "batchSize"/],
      [{ ...evaluation, batchSize: 1.5 }, /field "batchSize"/],
      [{ ...evaluation, downlinkDigest: "x" }, /field "downlinkDigest"/],
    ];
    for (const [value, field] of bad)
      assert.throws(
        () => parseEvaluationJobData(value),
        (e: unknown) =>
          e instanceof DistributedError &&
          /^Malformed job data/.test(e.message) &&
          field.test(e.message),
        JSON.stringify(value),
      );
    // Neither kind passes for the other.
    assert.throws(() => parseJobData(evaluation), /Malformed job data/);
    assert.throws(() => parseEvaluationJobData(good), /Malformed job data/);
  });
});

describe("run configuration", () => {
  it("encodes canonically (key order does not matter) and decodes after checking the digest", () => {
    const a = encodeRunConfig(runConfig);
    const { v, algorithm, ...rest } = runConfig;
    const reordered = encodeRunConfig({ ...rest, dataset: { ...runConfig.dataset }, algorithm, v });
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
      raw({ ...runConfig, training: { ...runConfig.training, workerModule: "file:///x.js" } }),
      /unknown field "workerModule" in training/,
    );
    assert.throws(raw({ ...runConfig, moduleUrl: "file:///x.js" }), /unknown field "moduleUrl"/);
    assert.throws(raw({ ...runConfig, algorithm: "../evil.js" }), /algorithm/);
    assert.throws(
      raw({ ...runConfig, training: { ...runConfig.training, lr: -1 } }),
      /training.lr/,
    );
    const huge = Buffer.from(
      JSON.stringify({ ...runConfig, options: { pad: "x".repeat(70_000) } }),
    );
    assert.throws(() => decodeRunConfig(huge, sha256Hex(huge)), /more than the 65536/);
    assert.throws(raw({ ...runConfig, device: "tpu" }), /device/);
    assert.throws(
      raw({ ...runConfig, dataset: { ...runConfig.dataset, partition: "x" } }),
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
    assert.equal(keys.queueName, "clients-exp-1");
    assert.equal(keys.eventsKey, "lab:clients-exp-1:events");
    assert.equal(
      keys.stateKey(ref, 9),
      `lab:run:exp-1:r4:state:${D.slice(0, 16)}.${C.slice(0, 16)}:9`,
    );
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
    // Evaluation shards: apart from every client's key, and named by batch range and size.
    const shard = { firstBatch: 0, endBatch: 9, batchSize: 500 };
    assert.equal(
      keys.evaluationResultKey(ref, shard),
      `lab:run:exp-1:r4:eval:${D.slice(0, 16)}.${C.slice(0, 16)}:0-9.500`,
    );
    const evalJob = keys.evaluationJobId(ref, shard);
    assert.ok(!evalJob.includes(":") && !/^\d+$/.test(evalJob) && evalJob !== keys.jobId(ref, 0));
    assert.notEqual(
      keys.evaluationResultKey(ref, { ...shard, batchSize: 100 }),
      keys.evaluationResultKey(ref, shard),
    );
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
