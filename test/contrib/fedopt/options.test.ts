import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  fedAdagradOptionsSchema,
  fedAdamOptionsSchema,
  fedAvgMOptionsSchema,
  fedYogiOptionsSchema,
  parseOptions,
} from "../../../src/contrib/fedopt/options.js";
import { OptionsError } from "../../../src/core/errors.js";

function rejects(run: () => unknown, flag: string, value: unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof OptionsError, String(error));
    assert.equal(error.option, flag);
    assert.equal(error.received, value);
    assert.match(error.message, new RegExp(`\`${flag}\``));
    return true;
  });
}

describe("FedOpt option schemas", () => {
  it("default to the paper's settings", () => {
    assert.deepEqual(parseOptions(fedAvgMOptionsSchema, {}), {
      serverLr: 10 ** -0.5,
      serverMomentum: 0.9,
    });
    assert.deepEqual(parseOptions(fedAdagradOptionsSchema, {}), {
      serverLr: 0.1,
      beta1: 0.9,
      tau: 1e-3,
    });
    assert.deepEqual(parseOptions(fedYogiOptionsSchema, {}), {
      serverLr: 10 ** -2.5,
      beta1: 0.9,
      beta2: 0.999,
      tau: 1e-3,
    });
    assert.deepEqual(parseOptions(fedAdamOptionsSchema, {}), {
      serverLr: 10 ** -2.5,
      beta1: 0.9,
      beta2: 0.999,
      tau: 1e-3,
      biasCorrection: false,
    });
  });

  it("take command-line strings, Flower's settings included", () => {
    assert.deepEqual(
      parseOptions(fedAdamOptionsSchema, {
        serverLr: "0.1",
        beta2: "0.99",
        tau: "1e-9",
        biasCorrection: "true",
      }),
      { serverLr: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9, biasCorrection: true },
    );
    assert.equal(
      parseOptions(fedAdamOptionsSchema, { biasCorrection: "false" }).biasCorrection,
      false,
    );
    assert.equal(parseOptions(fedYogiOptionsSchema, { beta1: 0 }).beta1, 0);
  });

  it("reject β outside [0, 1), τ <= 0 and serverLr <= 0, naming the flag", () => {
    rejects(() => parseOptions(fedAdamOptionsSchema, { beta1: "1" }), "--beta1", "1");
    rejects(() => parseOptions(fedAdamOptionsSchema, { beta1: -0.1 }), "--beta1", -0.1);
    rejects(() => parseOptions(fedYogiOptionsSchema, { beta2: "1.5" }), "--beta2", "1.5");
    rejects(() => parseOptions(fedYogiOptionsSchema, { beta2: "abc" }), "--beta2", "abc");
    rejects(() => parseOptions(fedAdagradOptionsSchema, { tau: "0" }), "--tau", "0");
    rejects(() => parseOptions(fedAdagradOptionsSchema, { tau: -1e-3 }), "--tau", -1e-3);
    rejects(() => parseOptions(fedAdamOptionsSchema, { serverLr: "-1" }), "--server-lr", "-1");
    rejects(() => parseOptions(fedAvgMOptionsSchema, { serverLr: 0 }), "--server-lr", 0);
    rejects(
      () => parseOptions(fedAvgMOptionsSchema, { serverMomentum: 1 }),
      "--server-momentum",
      1,
    );
    rejects(
      () => parseOptions(fedAdamOptionsSchema, { biasCorrection: "yes" }),
      "--bias-correction",
      "yes",
    );
    assert.throws(
      () => parseOptions(fedAdamOptionsSchema, { tau: 0 }),
      /Expected `--tau` to be a finite number > 0, got 0 \(number\)/,
    );
    assert.throws(
      () => parseOptions(fedAdamOptionsSchema, { beta1: 1 }),
      /Expected `--beta1` to be a number in \[0, 1\), got 1 \(number\)/,
    );
  });

  it("reject another algorithm's option", () => {
    rejects(() => parseOptions(fedAdagradOptionsSchema, { beta2: 0.99 }), "--beta2", 0.99);
    rejects(
      () => parseOptions(fedYogiOptionsSchema, { biasCorrection: true }),
      "--bias-correction",
      true,
    );
    rejects(() => parseOptions(fedAvgMOptionsSchema, { beta1: 0.9 }), "--beta1", 0.9);
  });
});
