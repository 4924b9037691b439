import assert from "node:assert/strict";
import { it } from "node:test";
import * as blazefl from "../../src/index.js";

it("the package root exports the privacy, robust aggregation and attack kits", () => {
  for (const name of [
    "RdpAccountant",
    "computeEpsilon",
    "findNoiseMultiplier",
    "clipToNorm",
    "addGaussianNoise",
    "cryptoNormalSource",
    "nextAdaptiveClip",
    "localDpNoiseStd",
    "parseAggregator",
    "robustAggregate",
    "bulyan",
    "parseAttack",
    "maliciousClients",
    "poisonUpdates",
  ])
    assert.equal(typeof (blazefl as Record<string, unknown>)[name], "function", name);
});
