import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fedAdagrad } from "../../../src/contrib/fedadagrad/algorithm.js";
import { fedAdam } from "../../../src/contrib/fedadam/algorithm.js";
import { fedAvgM } from "../../../src/contrib/fedavgm/algorithm.js";
import { fedYogi } from "../../../src/contrib/fedyogi/algorithm.js";
import { OptionsError } from "../../../src/core/errors.js";
import type { AlgorithmDefinition } from "../../../src/kit/algorithm.js";
import { parseAlgorithmOptions } from "../../../src/kit/registry.js";

const parse = (d: AlgorithmDefinition, raw: Record<string, unknown> = {}) =>
  parseAlgorithmOptions(d, raw);

function rejects(run: () => unknown, flag: string, value: unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof OptionsError, String(error));
    assert.equal(error.option, flag);
    assert.equal(error.received, value);
    assert.match(error.message, new RegExp(`\`${flag}\``));
    return true;
  });
}

describe("FedOpt options", () => {
  it("default to the paper's settings", () => {
    const common = { weighted: false, federatedEval: false };
    assert.deepEqual(parse(fedAvgM), { serverLr: 10 ** -0.5, serverMomentum: 0.9, ...common });
    assert.deepEqual(parse(fedAdagrad), { serverLr: 0.1, beta1: 0.9, tau: 1e-3, ...common });
    assert.deepEqual(parse(fedYogi), {
      serverLr: 10 ** -2.5,
      beta1: 0.9,
      beta2: 0.999,
      tau: 1e-3,
      ...common,
    });
    assert.deepEqual(parse(fedAdam), {
      serverLr: 10 ** -2.5,
      beta1: 0.9,
      beta2: 0.999,
      tau: 1e-3,
      biasCorrection: false,
      ...common,
    });
  });

  it("take flag text, Flower's settings included", () => {
    assert.deepEqual(
      parse(fedAdam, {
        serverLr: "0.1",
        beta2: "0.99",
        tau: "1e-9",
        biasCorrection: "true",
        weighted: "",
      }),
      {
        serverLr: 0.1,
        beta1: 0.9,
        beta2: 0.99,
        tau: 1e-9,
        biasCorrection: true,
        weighted: true,
        federatedEval: false,
      },
    );
    assert.equal(parse(fedYogi, { beta1: "0" }).beta1, 0);
  });

  it("reject β outside [0, 1), τ <= 0 and serverLr <= 0, naming the flag", () => {
    rejects(() => parse(fedAdam, { beta1: "1" }), "--beta1", 1);
    rejects(() => parse(fedAdam, { beta1: "-0.1" }), "--beta1", -0.1);
    rejects(() => parse(fedYogi, { beta2: "1.5" }), "--beta2", 1.5);
    rejects(() => parse(fedYogi, { beta2: "abc" }), "--beta2", "abc");
    rejects(() => parse(fedAdagrad, { tau: "0" }), "--tau", 0);
    rejects(() => parse(fedAdagrad, { tau: "-1e-3" }), "--tau", -1e-3);
    rejects(() => parse(fedAdam, { serverLr: "-1" }), "--server-lr", -1);
    rejects(() => parse(fedAvgM, { serverLr: "0" }), "--server-lr", 0);
    rejects(() => parse(fedAvgM, { serverMomentum: "1" }), "--server-momentum", 1);
    rejects(() => parse(fedAdam, { biasCorrection: "yes" }), "--bias-correction", "yes");
    assert.throws(
      () => parse(fedAdam, { beta1: "1" }),
      /Expected `--beta1` to be a number < 1, got 1 \(number\)/,
    );
  });

  it("reject another algorithm's option", () => {
    rejects(() => parse(fedAdagrad, { beta2: "0.99" }), "--beta2", "0.99");
    rejects(() => parse(fedYogi, { biasCorrection: "true" }), "--bias-correction", "true");
    rejects(() => parse(fedAvgM, { beta1: "0.9" }), "--beta1", "0.9");
    rejects(() => parse(fedAdam, { mu: "1" }), "--mu", "1");
  });
});
