import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alieUpdate, alieZ } from "../../../src/contrib/attacks/alie.js";
import { formatAttack, parseAttack } from "../../../src/contrib/attacks/attack-spec.js";
import { attackStream, gaussianUpdate } from "../../../src/contrib/attacks/gaussian-attack.js";
import { flipLabels } from "../../../src/contrib/attacks/label-flip.js";
import {
  countMalicious,
  maliciousClients,
} from "../../../src/contrib/attacks/malicious-clients.js";
import { poisonUpdates } from "../../../src/contrib/attacks/poison-updates.js";
import { signFlip } from "../../../src/contrib/attacks/sign-flip.js";
import { OptionsError } from "../../../src/core/errors.js";

describe("--attack specs", () => {
  it("parses every attack, with the optional parameters' defaults", () => {
    assert.deepEqual(parseAttack("sign-flip:0.2"), { kind: "sign-flip", fraction: 0.2, scale: 1 });
    assert.deepEqual(parseAttack("sign-flip:0.2:4"), {
      kind: "sign-flip",
      fraction: 0.2,
      scale: 4,
    });
    assert.deepEqual(parseAttack("gaussian:0.1"), { kind: "gaussian", fraction: 0.1, std: 1 });
    assert.deepEqual(parseAttack("gaussian:0.1:0.5"), {
      kind: "gaussian",
      fraction: 0.1,
      std: 0.5,
    });
    assert.deepEqual(parseAttack("label-flip:0.3"), { kind: "label-flip", fraction: 0.3 });
    assert.deepEqual(parseAttack("alie:0.2"), { kind: "alie", fraction: 0.2 });
    assert.equal(formatAttack(parseAttack("sign-flip:0.2")), "sign-flip:0.2:1");
  });

  it("rejects bad specs and fractions outside (0, 1), naming --attack", () => {
    for (const text of [
      "sign-flip:0",
      "sign-flip:1",
      "alie:1.5",
      "label-flip:-0.1",
      "sign-flip",
      "sign-flip:x",
      "sign-flip:0.2:0",
      "gaussian:0.2:-1",
      "label-flip:0.2:3",
      "alie:0.2:1:2",
      "backdoor:0.2",
    ])
      assert.throws(
        () => parseAttack(text),
        (e: unknown) => e instanceof OptionsError && e.option === "--attack",
        text,
      );
  });
});

describe("malicious clients", () => {
  it("are a fixed, seeded fraction of all clients: a pure function of (seed, N, fraction)", () => {
    const set = maliciousClients(42, 100, 0.2);
    assert.equal(set.length, 20);
    assert.deepEqual(set, maliciousClients(42, 100, 0.2));
    assert.deepEqual(
      set,
      [...set].sort((a, b) => a - b),
    );
    assert.ok(set.every((cid) => Number.isInteger(cid) && cid >= 0 && cid < 100));
    assert.equal(new Set(set).size, 20);
    assert.notDeepEqual(set, maliciousClients(43, 100, 0.2));
    // A smaller fraction picks a subset of a larger one's clients.
    const ten = maliciousClients(42, 100, 0.1);
    assert.ok(ten.every((cid) => set.includes(cid)));
  });

  it("count per round, and refuse a fraction that makes no client malicious", () => {
    assert.equal(countMalicious([1, 2, 3, 4], new Set([2, 4, 9])), 2);
    assert.throws(
      () => maliciousClients(1, 3, 0.1),
      (e: unknown) => e instanceof OptionsError && e.option === "--attack",
    );
    assert.throws(
      () => maliciousClients(1, 10, 1),
      (e: unknown) => e instanceof OptionsError && e.option === "--attack",
    );
  });
});

describe("attack transforms", () => {
  it("sign-flip sends -s * update", () => {
    assert.deepEqual([...signFlip(Float32Array.from([1, -2, 0.5]))], [-1, 2, -0.5]);
    assert.deepEqual([...signFlip(Float32Array.from([1, -2]), 3)], [-3, 6]);
  });

  it("gaussian sends N(0, std^2) noise from the client's attack stream", () => {
    const a = gaussianUpdate(50_000, 0.5, attackStream(7, 3, 2));
    assert.deepEqual(a, gaussianUpdate(50_000, 0.5, attackStream(7, 3, 2)));
    assert.notDeepEqual(a, gaussianUpdate(50_000, 0.5, attackStream(7, 4, 2)));
    let sum = 0;
    let sq = 0;
    for (const v of a) {
      sum += v;
      sq += v * v;
    }
    const std = Math.sqrt(sq / a.length - (sum / a.length) ** 2);
    assert.ok(Math.abs(std / 0.5 - 1) < 0.02, String(std));
  });

  it("label-flip maps y to numClasses - 1 - y", () => {
    const labels = Uint8Array.from([0, 1, 9, 4]);
    const flipped = flipLabels(labels);
    assert.ok(flipped instanceof Uint8Array);
    assert.deepEqual([...flipped], [9, 8, 0, 5]);
    assert.deepEqual([...labels], [0, 1, 9, 4], "the input is left as it was");
    assert.deepEqual([...flipLabels(Int32Array.from([0, 2]), 3)], [2, 0]);
    assert.throws(() => flipLabels(Uint8Array.from([10])), OptionsError);
  });

  it("ALIE's z follows the paper: s = floor(n/2 + 1) - m, z = Phi^-1((n - s)/n)", () => {
    // scipy.stats.norm.ppf(0.6) = 0.2533471031357997; ppf(0.68) = 0.4676987991145084
    assert.ok(Math.abs(alieZ(10, 2) - 0.2533471031357997) < 1e-14);
    assert.ok(Math.abs(alieZ(50, 10) - 0.4676987991145084) < 1e-14);
    assert.ok(Math.abs(alieZ(20, 4) - 0.38532046640756773) < 1e-14);
    assert.ok(Number.isFinite(alieZ(10, 9)), "a malicious majority still gives a finite z");
  });

  it("ALIE sends mean - z * std of the honest updates per coordinate", () => {
    const honest = [
      Float32Array.from([1, 0]),
      Float32Array.from([3, 0]),
      Float32Array.from([5, 6]),
    ];
    // coordinate 0: mean 3, std sqrt(8/3); coordinate 1: mean 2, std sqrt(8)
    const result = alieUpdate(honest, 0.5);
    assert.ok(Math.abs(result[0]! - (3 - 0.5 * Math.sqrt(8 / 3))) < 1e-6);
    assert.ok(Math.abs(result[1]! - (2 - 0.5 * Math.sqrt(8))) < 1e-6);
  });

  it("poisonUpdates replaces only the malicious clients' updates", () => {
    const updates = [
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
    ].map((r) => Float32Array.from(r));
    const base = { seed: 1, round: 3, cids: [10, 11, 12, 13, 14], updates };
    const malicious = new Set([11, 14, 99]);
    const flipped = poisonUpdates(parseAttack("sign-flip:0.2:2"), { ...base, malicious });
    assert.deepEqual(
      flipped.map((u) => [...u]),
      [
        [1, 1],
        [-4, -4],
        [3, 3],
        [4, 4],
        [-10, -10],
      ],
    );
    assert.equal(flipped[0], updates[0], "honest updates pass through");
    const alie = poisonUpdates(parseAttack("alie:0.2"), { ...base, malicious });
    // honest: 1, 3, 4 -> mean 8/3, population std sqrt(14/9); n = 5, m = 2: s = 1, z = Phi^-1(0.8)
    const expected = 8 / 3 - alieZ(5, 2) * Math.sqrt(14 / 9);
    assert.ok(Math.abs(alie[1]![0]! - expected) < 1e-6);
    assert.deepEqual(alie[1], alie[4]);
    const gauss = poisonUpdates(parseAttack("gaussian:0.2:0.1"), { ...base, malicious });
    assert.deepEqual(gauss[1], gaussianUpdate(2, 0.1, attackStream(1, 11, 3)));
    const labels = poisonUpdates(parseAttack("label-flip:0.2"), { ...base, malicious });
    assert.deepEqual(labels, updates, "label-flip poisons the data, not the update");
  });
});
