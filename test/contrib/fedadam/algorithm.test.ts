import assert from "node:assert/strict";
import { it } from "node:test";
import { describeDeterminism, fedAvgSha256 } from "../algorithm-runs.js";

const options = { biasCorrection: true, beta2: 0.99 };
const reference = describeDeterminism("fedadam", options);

it("fedadam differs from FedAvg (the server optimizer is used)", async () => {
  assert.notEqual(await fedAvgSha256(), reference());
});
