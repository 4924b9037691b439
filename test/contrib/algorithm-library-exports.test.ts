import assert from "node:assert/strict";
import { it } from "node:test";
import * as blazefl from "../../src/index.js";

it("the package root exports the algorithm library and its pieces", () => {
  const root = blazefl as Record<string, unknown>;
  for (const name of ["fedAvgM", "fedAdagrad", "fedYogi", "fedAdam", "fedNova", "fedDyn", "ditto"])
    assert.equal(typeof (root[name] as { client?: unknown })?.client, "function", name);
  for (const name of [
    "AdaptiveServerOptimizer",
    "ServerMomentumOptimizer",
    "PseudoGradientServer",
    "defineFedOptAlgorithm",
    "FedNovaAverage",
    "fedNovaNormaliser",
    "FedDynAggregate",
    "updateFedDynClientState",
    "dittoObjective",
    "withFederatedEvaluation",
    "AccuracySpread",
  ])
    assert.equal(typeof root[name], "function", name);
});
