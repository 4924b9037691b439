import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../src/core/errors.js";
import { DeviceError } from "../../src/engine/errors.js";
import {
  CPU_ENGINE_PREFERENCE,
  type EngineProvider,
  engineProviderNames,
  getEngineInfo,
  initEngine,
  registerEngineProvider,
  resolveCpuEngine,
} from "../../src/engine/index.js";
import { nativeEngineStatus } from "../../src/engine/native/index.js";
import { CUDA_PACKAGE } from "../../src/engine/providers/cuda-provider.js";

describe("initEngine", () => {
  it("sets up the wasm backend with SIMD for 'cpu-wasm', once", async () => {
    assert.equal(getEngineInfo(), undefined);
    const info = await initEngine("cpu-wasm");
    assert.deepEqual(info, {
      device: "cpu-wasm",
      engine: "wasm",
      backend: "wasm",
      simd: true,
      threads: 1,
    });
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(getEngineInfo(), info);
    assert.deepEqual(await initEngine("cpu-wasm"), info);
  });

  it("makes 'cpu' the native engine when its addon is built, and wasm otherwise", async () => {
    const built = nativeEngineStatus().available;
    const info = await initEngine("cpu");
    assert.equal(info.engine, built ? "native" : "wasm");
    assert.equal(tf.getBackend(), built ? "cpu" : "wasm");
    assert.deepEqual(await initEngine(), info);
    if (built) assert.equal((await initEngine("cpu-native")).engine, "native");
    else await assert.rejects(initEngine("cpu-native"), DeviceError);
    await initEngine("cpu-wasm");
  });

  it("switches between cpu-reference and wasm; tensors keep working", async () => {
    const wasmTensor = tf.tensor([1, 2, 3]);
    const ref = await initEngine("cpu-reference");
    assert.equal(ref.backend, "cpu");
    assert.equal(ref.engine, "cpu-reference");
    assert.equal(tf.getBackend(), "cpu");
    assert.deepEqual([...tf.tidy(() => tf.mul(wasmTensor, 2)).dataSync()], [2, 4, 6]);
    const wasm = await initEngine("cpu-wasm");
    assert.equal(wasm.engine, "wasm");
    assert.equal(wasm.device, "cpu-wasm");
    assert.equal(tf.getBackend(), "wasm");
    wasmTensor.dispose();
  });

  it("names the missing package for cuda devices", async () => {
    for (const device of ["cuda", "cuda:1"])
      await assert.rejects(
        initEngine(device),
        (e: unknown) =>
          e instanceof DeviceError &&
          e.message.includes(CUDA_PACKAGE) &&
          e.message.includes(device),
      );
    assert.equal(tf.getBackend(), "wasm", "a failed cuda init leaves the backend alone");
  });

  it("rejects unknown devices and non-strings", async () => {
    await assert.rejects(initEngine("gpu"), DeviceError);
    await assert.rejects(initEngine(7 as unknown as string), OptionsError);
  });

  it("lets a registered 'native' provider take over 'cpu' (the native engine's seam)", async () => {
    assert.deepEqual(CPU_ENGINE_PREFERENCE, ["native", "wasm"]);
    let available = false;
    let activations = 0;
    const fake: EngineProvider = {
      isAvailable: async () => available,
      async activate() {
        activations++;
        await tf.setBackend("cpu");
        return { engine: "native", backend: "cpu", simd: true, threads: 1 };
      },
    };
    registerEngineProvider("native", fake);
    assert.ok(engineProviderNames().includes("native"));
    assert.equal((await resolveCpuEngine())?.name, "wasm", "unavailable providers are skipped");
    await assert.rejects(initEngine("cpu-native"), /not built/);
    available = true;
    assert.equal((await resolveCpuEngine())?.name, "native");
    const info = await initEngine("cpu");
    assert.equal(info.engine, "native");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal((await initEngine("cpu-wasm")).engine, "wasm", "cpu-wasm still forces wasm");
    assert.equal((await initEngine("cpu-native")).engine, "native");
    assert.equal(activations, 2);
    available = false;
    await initEngine("cpu");
    assert.equal(tf.getBackend(), "wasm");
  });

  it("validates provider registrations", () => {
    assert.throws(() => registerEngineProvider("Bad Name", {} as EngineProvider), OptionsError);
    assert.throws(
      () =>
        registerEngineProvider("ok", {
          isAvailable: async () => true,
        } as unknown as EngineProvider),
      OptionsError,
    );
  });
});

describe("cuda without the package", () => {
  it("leaves CUDA_VISIBLE_DEVICES alone", async () => {
    const before = process.env.CUDA_VISIBLE_DEVICES;
    await assert.rejects(initEngine("cuda:2"), DeviceError);
    assert.equal(process.env.CUDA_VISIBLE_DEVICES, before);
  });
});
