/**
 * The paths that do not run native code: unsupported cases fall back to the stock kernels with
 * their exact results; a missing or disabled addon gives a clear status and a DeviceError; bad
 * options and bad addon arguments are rejected; the build script never fails an install.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../../src/core/errors.js";
import { DeviceError } from "../../../src/engine/errors.js";
import { loadNativeAddon } from "../../../src/engine/native/addon.js";
import { installNativeKernels } from "../../../src/engine/native/index.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { assertClose, randn, requireNativeAddon, stockVersusNative } from "./helpers.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const statusFixture = fileURLToPath(
  new URL("../../fixtures/engine-native/status.ts", import.meta.url),
);

before(() => requireNativeAddon());

describe("unsupported cases fall back to the stock kernel", () => {
  const cases: { name: string; kernel: string; fn: () => tf.Tensor[] }[] = [
    {
      name: "int32 Add",
      kernel: "Add",
      fn: () => [tf.add(tf.tensor([1, 2, 3], [3], "int32"), tf.tensor([4, 5, 6], [3], "int32"))],
    },
    {
      name: "_FusedMatMul with an elu activation",
      kernel: "_FusedMatMul",
      fn: () => {
        const r = createRng(1);
        return [
          tf.fused.matMul({
            a: randn(r, [4, 5]) as tf.Tensor2D,
            b: randn(r, [5, 3]) as tf.Tensor2D,
            activation: "elu",
          }),
        ];
      },
    },
    {
      name: "int32 Sum (axes that are not one run are native since issue 15)",
      kernel: "Sum",
      fn: () => [tf.sum(tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], "int32"), [0])],
    },
    {
      name: "Add with more than four alternating broadcast dimensions",
      kernel: "Add",
      fn: () => {
        const r = createRng(3);
        return [tf.add(randn(r, [2, 1, 2, 1, 2, 1]), randn(r, [1, 2, 1, 2, 1, 2]))];
      },
    },
    {
      name: "BatchMatMul broadcasting batch dimensions on both sides",
      kernel: "BatchMatMul",
      fn: () => {
        const r = createRng(4);
        return [tf.matMul(randn(r, [2, 1, 3, 4]), randn(r, [1, 5, 4, 6]))];
      },
    },
    {
      name: "NCHW Conv2D",
      kernel: "Conv2D",
      fn: () => {
        const r = createRng(5);
        return [
          tf.conv2d(
            randn(r, [1, 2, 6, 6]) as tf.Tensor4D,
            randn(r, [3, 3, 2, 4]) as tf.Tensor4D,
            1,
            "same",
            "NCHW",
          ),
        ];
      },
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const { stock, native, calls } = await stockVersusNative(c.fn);
      assertClose(stock, native, c.name, 0);
      assert.ok((calls[c.kernel]?.fallback ?? 0) > 0, `${c.kernel} did not fall back`);
    });
  }
});

describe("bad options and arguments", () => {
  test("installNativeKernels validates its options", async () => {
    await assert.rejects(installNativeKernels({ maxPoolBytes: -1 }), OptionsError);
    await assert.rejects(installNativeKernels({ convChunkBytes: 10 }), OptionsError);
    await assert.rejects(
      installNativeKernels({ kernelImplementation: "fast" as "auto" }),
      (e: unknown) => e instanceof OptionsError && e.option === "kernelImplementation",
    );
    await assert.rejects(
      installNativeKernels({ bufferReuse: "yes" as unknown as boolean }),
      OptionsError,
    );
  });

  test("the addon rejects wrong types and short buffers without touching memory", () => {
    const addon = loadNativeAddon();
    const small = new Float32Array(4);
    const isArgError = (e: unknown) =>
      (e instanceof RangeError || e instanceof TypeError) &&
      (e as { code?: string }).code === "ERR_BLAZEFL_NATIVE_ARG";
    assert.throws(
      () => addon.matMul(false, false, 1, 4, 4, 4, small, 0, small, 0, small, null, 0),
      isArgError,
    );
    assert.throws(
      () =>
        addon.matMul(
          false,
          false,
          1,
          2,
          2,
          2,
          new Float64Array(4) as unknown as Float32Array,
          0,
          small,
          0,
          small,
          null,
          0,
        ),
      isArgError,
    );
    assert.throws(
      () => addon.matMul(false, false, 1, 2, 2, 2, small, 0, small, 0, small, null, 7),
      isArgError,
    );
    assert.throws(
      () => addon.matMul(false, false, 1, -1, 2, 2, small, 0, small, 0, small, null, 0),
      isArgError,
    );
    const geometry = Int32Array.of(1, 5, 5, 1, 3, 3, 2, 5, 5, 1, 1, 1, 1, 1, 1);
    assert.throws(() => addon.conv2d(geometry, small, small, small, null, 0), isArgError);
    assert.throws(
      () => addon.conv2d(Int32Array.of(1, 2, 3), small, small, small, null, 0),
      isArgError,
    );
    const huge = Int32Array.of(65536, 65536, 65536, 1, 1, 1, 1, 65536, 65536, 1, 1, 0, 0, 1, 1);
    assert.throws(() => addon.conv2d(huge, small, small, small, null, 0), isArgError);
    assert.throws(
      () =>
        addon.maxPoolGrad(Int32Array.of(1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 0, 0), small, small, small),
      isArgError,
    );
    assert.throws(
      () => addon.binary(9, small, small, small, Int32Array.of(1, 1, 1, 4, 0, 0, 0, 1, 0, 0, 0, 1)),
      isArgError,
    );
    assert.throws(
      () => addon.binary(0, small, small, small, Int32Array.of(1, 1, 1, 5, 0, 0, 0, 1, 0, 0, 0, 1)),
      isArgError,
    );
    assert.throws(() => addon.reduceSum(small, small, 2, 3, 1), isArgError);
    assert.throws(() => addon.sgdUpdate(small, new Float32Array(2), 0.1), isArgError);
    assert.throws(() => addon.setKernelImplementation("turbo"), isArgError);
    // And the valid call right after works.
    const out = new Float32Array(4);
    addon.matMul(
      false,
      false,
      1,
      2,
      2,
      2,
      Float32Array.of(1, 2, 3, 4),
      0,
      Float32Array.of(1, 0, 0, 1),
      0,
      out,
      null,
      0,
    );
    assert.deepEqual([...out], [1, 2, 3, 4]);
  });
});

describe("without the addon", () => {
  function runStatus(env: Record<string, string>) {
    const child = spawnSync(process.execPath, ["--import", "tsx", statusFixture], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const line = child.stdout.split("\n").find((l) => l.startsWith("{"));
    assert.ok(line !== undefined, child.stdout);
    return JSON.parse(line) as {
      status: { available: boolean; reason?: string };
      install: { ok: boolean; name?: string; code?: string; message?: string };
      sum: number;
    };
  }

  test("BLAZEFL_NATIVE=0: unavailable with a reason, install throws DeviceError, cpu still works", () => {
    const out = runStatus({ BLAZEFL_NATIVE: "0" });
    assert.equal(out.status.available, false);
    assert.match(out.status.reason ?? "", /BLAZEFL_NATIVE=0/);
    assert.equal(out.install.ok, false);
    assert.equal(out.install.name, new DeviceError("x").name);
    assert.equal(out.install.code, "ERR_DEVICE");
    assert.match(out.install.message ?? "", /not available.*cpu-wasm/);
    assert.equal(out.sum, 2);
  });

  test("a missing addon file: unavailable, 'not built'", () => {
    const out = runStatus({ BLAZEFL_NATIVE_ADDON: "/nonexistent/blazefl_native.node" });
    assert.equal(out.status.available, false);
    assert.match(out.status.reason ?? "", /not built/);
    assert.equal(out.install.code, "ERR_DEVICE");
  });

  test("the build script prints one line and exits 0 when it cannot build (1 with --strict)", () => {
    const script = fileURLToPath(new URL("../../../scripts/build-native.mjs", import.meta.url));
    const run = (args: string[], env: Record<string, string>) =>
      spawnSync(process.execPath, [script, ...args], {
        env: { ...process.env, ...env },
        encoding: "utf8",
        timeout: 30_000,
      });
    const noCompiler = run(["--force"], { CXX: "/nonexistent/g++" });
    assert.equal(noCompiler.status, 0);
    const lines = `${noCompiler.stdout}${noCompiler.stderr}`.trim().split("\n");
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0]!, /not built \(no C\+\+ compiler found/);
    assert.equal(run(["--force", "--strict"], { CXX: "/nonexistent/g++" }).status, 1);
    const disabled = run([], { BLAZEFL_NATIVE: "0" });
    assert.equal(disabled.status, 0);
    assert.match(disabled.stderr, /not built \(BLAZEFL_NATIVE=0\)/);
  });
});
