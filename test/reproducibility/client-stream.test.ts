import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { clientStream } from "../../src/reproducibility/client-stream.js";
import type { Rng } from "../../src/reproducibility/rng.js";
import { deriveSeed } from "../../src/reproducibility/seed.js";
import { correlation } from "./statistics.js";

function floats(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextFloat());
}

describe("clientStream", () => {
  it("is a pure function of (seed, cid, round)", () => {
    assert.deepEqual(floats(clientStream(42, 7, 3), 50), floats(clientStream(42, 7, 3), 50));
  });

  it("gives uncorrelated streams across cids, rounds, seeds and sub-streams", () => {
    const n = 5000;
    const base = floats(clientStream(42, 7, 3), n);
    const others = [
      clientStream(42, 8, 3),
      clientStream(42, 7, 4),
      clientStream(43, 7, 3),
      clientStream(42, 7, 3, 1),
      clientStream(42, 3, 7),
    ];
    for (const other of others) {
      const r = correlation(base, floats(other, n));
      assert.ok(Math.abs(r) < 0.05, `correlation ${r}`);
    }
  });

  it("has no correlation between neighbouring clients' first draws over many clients", () => {
    const firsts = Array.from({ length: 4000 }, (_, cid) => clientStream(1, cid, 0).nextFloat());
    const r = correlation(firsts.slice(0, -1), firsts.slice(1));
    assert.ok(Math.abs(r) < 0.05, `lag-1 correlation ${r}`);
    const mean = firsts.reduce((s, v) => s + v, 0) / firsts.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02);
  });

  it("keeps large cids apart (no 32-bit wrap-around)", () => {
    assert.notDeepEqual(
      floats(clientStream(1, 2 ** 32 + 5, 0), 5),
      floats(clientStream(1, 5, 0), 5),
    );
  });

  it("rejects bad ids, rounds and seeds", () => {
    for (const [seed, cid, round] of [
      [42, -1, 0],
      [42, 1.5, 0],
      [42, Number.NaN, 0],
      [42, 0, -2],
      [42, 0, 0.5],
      [-1, 0, 0],
      [2 ** 32, 0, 0],
    ] as const) {
      assert.throws(() => clientStream(seed, cid, round), OptionsError);
    }
    assert.throws(() => clientStream(42, "3" as unknown as number, 0), /Expected `cid`/);
  });

  it("derives distinct seeds deterministically", () => {
    assert.equal(deriveSeed(42, 1), deriveSeed(42, 1));
    assert.notEqual(deriveSeed(42, 1), deriveSeed(42, 2));
    const seed = deriveSeed(42, 1);
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
  });
});
