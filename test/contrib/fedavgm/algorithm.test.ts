import assert from "node:assert/strict";
import { it } from "node:test";
import { describeDeterminism, fedAvgSha256 } from "../algorithm-runs.js";

const options = { serverLr: 1 };
const reference = describeDeterminism("fedavgm", options);

it("fedavgm differs from FedAvg (the server optimizer is used)", async () => {
  assert.notEqual(await fedAvgSha256(), reference());
});
