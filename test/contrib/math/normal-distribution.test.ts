import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  erfc,
  logErfc,
  normalCdf,
  normalQuantile,
} from "../../../src/contrib/math/normal-distribution.js";

// Reference values computed with mpmath at 50 digits.
const ERFC: readonly (readonly [number, number])[] = [
  [-1, 1.842700792949715],
  [0, 1],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [2.5, 4.069520174449589e-4],
  [5, 1.5374597944280349e-12],
  [10, 2.088487583762545e-45],
];

function relative(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe("normal distribution", () => {
  it("erfc matches high-precision references to about machine precision", () => {
    for (const [x, expected] of ERFC)
      assert.ok(relative(erfc(x), expected) < 1e-14, `erfc(${x}) = ${erfc(x)}`);
  });

  it("logErfc stays finite far past erfc's underflow", () => {
    const expected = -10005.177585122665; // mpmath
    assert.ok(relative(logErfc(100), expected) < 1e-15, String(logErfc(100)));
    assert.equal(erfc(100), 0);
    for (const [x, expected] of ERFC)
      assert.ok(Math.abs(logErfc(x) - Math.log(expected)) < 1e-13, `logErfc(${x})`);
  });

  it("normalQuantile inverts normalCdf", () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-14);
    assert.ok(Math.abs(normalQuantile(0.5)) < 1e-15);
    for (const p of [1e-10, 0.01, 0.3, 0.6, 0.99])
      assert.ok(relative(normalCdf(normalQuantile(p)), p) < 1e-13, String(p));
    assert.throws(() => normalQuantile(1), RangeError);
    assert.throws(() => normalQuantile(0), RangeError);
  });
});
