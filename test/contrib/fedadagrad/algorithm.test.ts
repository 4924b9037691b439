import assert from "node:assert/strict";
import { it } from "node:test";
import { describeDeterminism, fedAvgSha256 } from "../algorithm-runs.js";

const options = { federatedEval: true };
const reference = describeDeterminism("fedadagrad", options);

it("fedadagrad differs from FedAvg (the server optimizer is used)", async () => {
  assert.notEqual(await fedAvgSha256(), reference());
});
