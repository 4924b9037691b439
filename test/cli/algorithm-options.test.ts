import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "./cli-helpers.js";

describe("blazefl run: the algorithm library's options", () => {
  it("exit 2 naming the flag: β outside [0, 1), τ <= 0, a bad rate, α or λ", async () => {
    for (const [args, pattern] of [
      [["--algorithm", "fedadam", "--beta1", "1"], /`--beta1` to be a number < 1, got 1/],
      [["--algorithm", "fedyogi", "--beta2", "-0.5"], /`--beta2` to be a number >= 0, got -0.5/],
      [["--algorithm", "fedadagrad", "--tau", "0"], /`--tau` to be a number > 0, got 0/],
      [["--algorithm", "fedavgm", "--server-momentum", "1"], /`--server-momentum`.*< 1/],
      [["--algorithm", "fednova", "--server-lr", "fast"], /`--server-lr`.*number.*"fast"/],
      [["--algorithm", "feddyn", "--alpha", "-1"], /`--alpha` to be a number > 0, got -1/],
      [["--algorithm", "ditto", "--lambda", "-1"], /`--lambda` to be a number >= 0, got -1/],
      [["--algorithm", "fedyogi", "--bias-correction"], /`--bias-correction`.*fedyogi takes/],
    ] as const) {
      const result = await runCli(["run", "--quiet", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
    }
  });

  it("lists every algorithm of the library with its flags", async () => {
    const result = await runCli(["algorithms"]);
    assert.equal(result.code, 0, result.stderr);
    for (const name of [
      "fedavgm",
      "fedadagrad",
      "fedyogi",
      "fedadam",
      "fednova",
      "feddyn",
      "ditto",
    ])
      assert.match(result.stdout, new RegExp(`^${name}\\n`, "m"));
    for (const flag of [
      "--server-lr",
      "--beta1",
      "--beta2",
      "--tau",
      "--bias-correction",
      "--alpha",
      "--lambda",
      "--federated-eval",
    ])
      assert.ok(result.stdout.includes(flag), flag);
  });
});
