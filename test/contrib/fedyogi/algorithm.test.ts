import assert from "node:assert/strict";
import { it } from "node:test";
import { describeDeterminism, fedAvgSha256 } from "../algorithm-runs.js";

const options = { serverLr: 0.01, weighted: true };
const reference = describeDeterminism("fedyogi", options);

it("fedyogi differs from FedAvg (the server optimizer is used)", async () => {
  assert.notEqual(await fedAvgSha256(), reference());
});
