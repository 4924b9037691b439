import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsError } from "../../src/core/errors.js";
import { createRngSuite, RNG_STREAMS } from "../../src/reproducibility/rng-suite.js";

describe("RngSuite", () => {
  it("gives the same streams for the same seed and independent streams within a suite", () => {
    const a = createRngSuite(42);
    const b = createRngSuite(42);
    for (const name of RNG_STREAMS) assert.equal(a[name].nextUint32(), b[name].nextUint32());
    const firsts = RNG_STREAMS.map((name) => createRngSuite(42)[name].nextUint32());
    assert.equal(new Set(firsts).size, RNG_STREAMS.length);
  });

  it("captures and restores every stream exactly", () => {
    const suite = createRngSuite(1234);
    suite.sampling.sampleWithoutReplacement(100, 10);
    suite.init.normal();
    const state = JSON.parse(JSON.stringify(suite.captureState()));
    const expected = RNG_STREAMS.map((name) => suite[name].nextFloat());
    suite.data.gamma(2);
    suite.restoreState(state);
    assert.deepEqual(
      RNG_STREAMS.map((name) => suite[name].nextFloat()),
      expected,
    );
  });

  it("rejects bad seeds and states from another seed", () => {
    assert.throws(() => createRngSuite(-5), OptionsError);
    assert.throws(() => createRngSuite(Number.NaN), OptionsError);
    const state = createRngSuite(1).captureState();
    assert.throws(() => createRngSuite(2).restoreState(state), /state\.seed/);
  });
});
