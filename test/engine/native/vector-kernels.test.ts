/**
 * The native weighted sum, finiteness check and float32 division give what the JavaScript loops give, bit for bit,
 * on awkward values and at every position of a vectorised loop (body and remainder).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  nativeAllFinite,
  nativeDivideToFloat,
  nativeWeightedAccumulate,
} from "../../../src/engine/native/vector-kernels.js";
import { createRng } from "../../../src/reproducibility/index.js";
import { requireNativeAddon } from "./helpers.js";

before(() => requireNativeAddon());

const fixture = fileURLToPath(
  new URL("../../fixtures/engine-native/vector-loops.ts", import.meta.url),
);

/** The fixture's output, with the addon enabled or not. */
function loops(native: boolean): { mean: string; clean: string | null; bad: string | null } {
  const child = spawnSync(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, BLAZEFL_NATIVE: native ? "1" : "0" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

/** Values that round differently under a fused multiply-add, plus zeros, subnormals and extremes. */
function awkward(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const specials = [0, -0, 1e-45, -1e-40, 3.4e38, -3.4e38, 1, -1, 1 / 3];
  return Float32Array.from({ length: n }, (_, i) =>
    i % 7 === 0 ? (specials[i % specials.length] as number) : rng.normal() * 10 ** rng.int(-8, 8),
  );
}

describe("native vector kernels", () => {
  test("weightedAccumulate makes JavaScript's roundings (product, then sum) for any weight", () => {
    for (const n of [1, 7, 8, 9, 63, 1000, 4099])
      for (const weight of [600, 1 / 3, 0.1, -2.5e-7, 1e30]) {
        const start = Float64Array.from(awkward(n, n), (v) => v * 1.0000001);
        const x = awkward(n, n + 1);
        const expected = Float64Array.from(start, (s, i) => s + weight * (x[i] as number));
        const sum = Float64Array.from(start);
        assert.equal(nativeWeightedAccumulate(sum, x, weight), true);
        assert.deepEqual(sum, expected, `n ${n}, weight ${weight}`);
      }
  });

  test("every NaN or infinity is seen, wherever it is; finite extremes are not", () => {
    for (const n of [1, 8, 17, 1001])
      for (const position of [0, n >> 1, n - 1])
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const x = awkward(n, 3);
          assert.equal(nativeAllFinite(x), true);
          x[position] = bad;
          assert.equal(nativeAllFinite(x), false, `${bad} at ${position} of ${n}`);
          assert.equal(nativeWeightedAccumulate(new Float64Array(n), x, 1), false);
        }
    assert.equal(nativeAllFinite(new Float32Array(0)), true);
  });

  test("divideToFloat divides in float64 and rounds once to float32, as a Float32Array store does", () => {
    for (const n of [1, 7, 8, 9, 63, 1000, 4099])
      for (const divisor of [6000, 3, 1 / 3, 1e-30, 7.5e5]) {
        // Float64 sums that are not float32 values: the rounding of each quotient is exercised.
        const sum = Float64Array.from(awkward(n, n + 2), (v, i) => v * (1 + i * 1e-9) * 600.3);
        const expected = Float32Array.from(sum, (s) => s / divisor);
        const out = new Float32Array(n);
        assert.equal(nativeDivideToFloat(out, sum, divisor), true);
        assert.deepEqual(out, expected, `n ${n}, divisor ${divisor}`);
      }
    assert.throws(() => nativeDivideToFloat(new Float32Array(4), new Float64Array(3), 1));
  });

  test("a sum shorter than the vector is refused before any memory is touched", () => {
    assert.throws(() => nativeWeightedAccumulate(new Float64Array(3), new Float32Array(4), 1));
  });

  test("the kit's average and check give the same with the addon as without it", () => {
    const native = loops(true);
    assert.deepEqual(loops(false), native);
    assert.equal(native.clean, null);
    assert.equal(native.bad, "delta[1001] is Infinity");
  });
});
