import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lastJson, runCli } from "./cli-helpers.js";

const EPSILON = [
  "privacy",
  "epsilon",
  "--noise-multiplier",
  "1.5",
  "--sample-rate",
  "0.04",
  "--steps",
  "2250",
  "--delta",
  "1e-5",
];
const NOISE = [
  "privacy",
  "noise",
  "--epsilon",
  "8",
  "--delta",
  "1e-5",
  "--sample-rate",
  "0.04",
  "--steps",
  "2250",
];

/** `args` with the value after `flag` replaced. */
function withFlag(args: readonly string[], flag: string, value: string): string[] {
  const out = [...args];
  out[out.indexOf(flag) + 1] = value;
  return out;
}

describe("blazefl privacy", () => {
  it("epsilon prints Opacus's epsilon, as text and as JSON", async () => {
    const text = await runCli(EPSILON);
    assert.equal(text.code, 0, text.stderr);
    const printed = Number(/epsilon = ([0-9.]+)/.exec(text.stdout)?.[1]);
    assert.ok(Math.abs(printed - 7.32911117143) < 5e-11, text.stdout);
    const json = await runCli([...EPSILON, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const result = lastJson(json.stdout);
    assert.ok(Math.abs((result.epsilon as number) - 7.32911117143) < 5e-11);
    assert.equal(result.order, 3.9);
    assert.equal(result.steps, 2250);
  });

  it("noise prints the noise multiplier for the budget, as text and as JSON", async () => {
    const json = await runCli([...NOISE, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const result = lastJson(json.stdout);
    assert.ok(Math.abs((result.noiseMultiplier as number) - 1.416) < 5e-5, json.stdout);
    assert.ok((result.epsilon as number) <= 8);
    const text = await runCli(withFlag(NOISE, "--steps", "2000"));
    assert.equal(text.code, 0, text.stderr);
    const sigma = Number(/noise multiplier = ([0-9.]+)/.exec(text.stdout)?.[1]);
    assert.ok(Math.abs(sigma - 1.3562) < 5e-5, text.stdout);
  });

  it("exits 2 naming the flag for bad values", async () => {
    for (const [args, flag] of [
      [withFlag(EPSILON, "--delta", "1"), "--delta"],
      [withFlag(EPSILON, "--noise-multiplier", "0"), "--noise-multiplier"],
      [withFlag(EPSILON, "--noise-multiplier", "-1"), "--noise-multiplier"],
      [withFlag(EPSILON, "--sample-rate", "0"), "--sample-rate"],
      [withFlag(EPSILON, "--sample-rate", "1.5"), "--sample-rate"],
      [withFlag(EPSILON, "--steps", "2250.5"), "--steps"],
      [withFlag(EPSILON, "--steps", "many"), "--steps"],
      [EPSILON.slice(0, -2), "--delta"],
      [withFlag(NOISE, "--epsilon", "0"), "--epsilon"],
      [withFlag(NOISE, "--delta", "2"), "--delta"],
    ] as const) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`\`${flag}\``), args.join(" "));
    }
    const unknown = await runCli([...EPSILON, "--no-such-flag"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option/);
  });
});
