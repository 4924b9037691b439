/**
 * The OpenBLAS kernels follow the CPU's instruction sets: the mapping, the parsing of
 * /proc/cpuinfo, an explicit OPENBLAS_CORETYPE left alone, and OpenBLAS really loading the
 * kernels chosen (it says so with OPENBLAS_VERBOSE=2).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  blasCoreTypeFor,
  cpuFlags,
  pinBlasCoreType,
} from "../../../src/engine/native/blas-core-type.js";
import { requireNativeAddon } from "./helpers.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const set = (flags: string) => new Set(flags.split(" "));

describe("blasCoreTypeFor", () => {
  it("names the kernels by instruction set", () => {
    assert.equal(
      blasCoreTypeFor(set("sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl")),
      "SkylakeX",
    );
    assert.equal(blasCoreTypeFor(set("sse2 avx avx2 fma")), "Haswell");
    // AVX-512 without the parts the SkylakeX kernels use (Knights Landing has no BW, DQ, VL).
    assert.equal(blasCoreTypeFor(set("avx2 fma avx512f avx512cd")), "Haswell");
    assert.equal(blasCoreTypeFor(set("sse2 avx avx2")), undefined);
    assert.equal(blasCoreTypeFor(set("sse2 sse3")), undefined);
  });
});

describe("cpuFlags", () => {
  it("reads the first flags line of /proc/cpuinfo", () => {
    const text =
      "processor\t: 0\nmodel\t\t: 207\nflags\t\t: fpu sse2  avx2 fma\nbugs\t: x\n\nflags\t: other\n";
    assert.deepEqual([...(cpuFlags(text) ?? [])], ["fpu", "sse2", "avx2", "fma"]);
    assert.equal(cpuFlags("processor : 0\n"), undefined);
  });
});

describe("pinBlasCoreType", () => {
  it("leaves a value that is already set", () => {
    const env: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: "Haswell" };
    assert.equal(pinBlasCoreType(env), "Haswell");
    assert.deepEqual(env, { OPENBLAS_CORETYPE: "Haswell" });
  });

  it("otherwise sets the one this CPU's instruction sets call for", () => {
    const env: NodeJS.ProcessEnv = {};
    const flags = process.arch === "x64" ? cpuFlags() : undefined;
    const expected = flags === undefined ? undefined : blasCoreTypeFor(flags);
    assert.equal(pinBlasCoreType(env), expected);
    assert.equal(env.OPENBLAS_CORETYPE, expected);
  });

  it("is what OpenBLAS loads when the addon loads", (t) => {
    requireNativeAddon();
    const flags = process.arch === "x64" ? cpuFlags() : undefined;
    const expected = flags === undefined ? undefined : blasCoreTypeFor(flags);
    if (expected === undefined) {
      t.diagnostic("this CPU has neither AVX2 nor AVX-512: OpenBLAS chooses");
      return;
    }
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_VERBOSE: "2" };
    delete env.OPENBLAS_CORETYPE;
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        'const { loadNativeAddon } = await import("./src/engine/native/addon.ts"); loadNativeAddon(); console.log("loaded", process.env.OPENBLAS_CORETYPE);',
      ],
      { cwd: root, env, encoding: "utf8" },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, new RegExp(`loaded ${expected}\\n`));
    // OpenBLAS prints the kernels it picked as it initialises.
    assert.match(child.stdout + child.stderr, new RegExp(`Core: ${expected}\\b`));
  });
});
