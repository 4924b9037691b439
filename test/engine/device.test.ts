import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { parseDevice } from "../../src/engine/device.js";
import { DeviceError } from "../../src/engine/errors.js";

describe("parseDevice", () => {
  it("accepts the cpu devices", () => {
    for (const kind of ["cpu", "cpu-wasm", "cpu-native", "cpu-reference"] as const)
      assert.deepEqual(parseDevice(kind), { kind });
  });

  it("reads the GPU index of cuda devices", () => {
    assert.deepEqual(parseDevice("cuda"), { kind: "cuda", index: 0 });
    assert.deepEqual(parseDevice("cuda:0"), { kind: "cuda", index: 0 });
    assert.deepEqual(parseDevice("cuda:3"), { kind: "cuda", index: 3 });
    assert.deepEqual(parseDevice("cuda:12"), { kind: "cuda", index: 12 });
  });

  it("rejects unknown device strings with a DeviceError naming the device", () => {
    for (const bad of [
      "",
      "gpu",
      "CPU",
      "cuda:",
      "cuda:-1",
      "cuda:01",
      "cuda:1.5",
      "cuda:x",
      " cpu",
      "mps",
    ])
      assert.throws(
        () => parseDevice(bad),
        (e: unknown) => e instanceof DeviceError && e.message.includes(JSON.stringify(bad)),
        bad,
      );
  });

  it("rejects non-strings with an OptionsError", () => {
    for (const bad of [undefined, null, 0, {}, ["cpu"]])
      assert.throws(
        () => parseDevice(bad),
        (e: unknown) => e instanceof OptionsError && e.option === "device",
      );
  });
});
