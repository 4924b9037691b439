import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { differingOptions, runLabels } from "../../src/report/run-labels.js";

describe("runLabels", () => {
  it("labels runs by the options in which they differ, ignoring where they were written", () => {
    const base = { dataset: "synthetic", lr: 0.1, seed: 1, out: "/a", resultDigest: "x" };
    const runs = [
      { name: "a", config: base },
      { name: "b", config: { ...base, lr: 0.01, out: "/b", resultDigest: "y" } },
      { name: "c", config: { ...base, seed: 2, out: "/c" } },
    ];
    assert.deepEqual(differingOptions(runs.map((r) => r.config)), ["lr", "seed"]);
    assert.deepEqual(runLabels(runs), ["lr=0.1, seed=1", "lr=0.01, seed=1", "lr=0.1, seed=2"]);
  });

  it("falls back to directory names for one run or identical options, and keeps labels unique", () => {
    const config = { lr: 0.1, out: "/x" };
    assert.deepEqual(runLabels([{ name: "only", config }]), ["only"]);
    assert.deepEqual(
      runLabels([
        { name: "a", config },
        { name: "b", config: { ...config, out: "/y" } },
      ]),
      ["a", "b"],
    );
    // An option only one config has differs (undefined elsewhere).
    assert.deepEqual(
      runLabels([
        { name: "a", config },
        { name: "b", config: { ...config, attack: "sign-flip" } },
      ]),
      ["attack=undefined", "attack=sign-flip"],
    );
  });
});
