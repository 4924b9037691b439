import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { exitCodeFor } from "../../src/core/errors.js";
import { DataError } from "../../src/data/errors.js";
import { parseRoundRecords, readRun } from "../../src/report/read-run.js";

describe("readRun", () => {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-read-run-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function runDir(name: string, files: Record<string, string>): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(d, file), text);
    return d;
  }

  it("reads the rounds in file order, skipping blank lines and keeping unknown fields", () => {
    const d = runDir("ok", {
      "config.json": JSON.stringify({ lr: 0.1, clients: 3 }),
      "metrics.jsonl":
        '{"round":1,"clients":[0,2],"testAccuracy":null,"novel":{"x":1}}\n\n{"round":2,"epsilon":0.5}\n',
    });
    const run = readRun(d);
    assert.equal(run.name, "ok");
    assert.deepEqual(run.config, { lr: 0.1, clients: 3 });
    assert.deepEqual(
      run.rounds.map((r) => r.round),
      [1, 2],
    );
    assert.equal(run.rounds[0]?.testAccuracy, null);
    assert.deepEqual((run.rounds[0] as Record<string, unknown>).novel, { x: 1 });
    assert.equal(run.rounds[1]?.epsilon, 0.5);
  });

  it("names the file when config.json or metrics.jsonl is missing or malformed (exit 2)", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ "metrics.jsonl": "" }, /config\.json is missing/],
      [{ "config.json": "{}" }, /metrics\.jsonl is missing/],
      [{ "config.json": "{lr: 1}", "metrics.jsonl": "" }, /config\.json is not valid JSON/],
      [{ "config.json": "[1]", "metrics.jsonl": "" }, /config\.json must hold a JSON object/],
    ];
    cases.forEach(([files, pattern], i) => {
      const d = runDir(`bad-${i}`, files);
      assert.throws(
        () => readRun(d),
        (error: unknown) => {
          assert.ok(error instanceof DataError);
          assert.match(error.message, pattern);
          assert.ok(error.message.includes(d), error.message);
          assert.equal(exitCodeFor(error), 2);
          return true;
        },
      );
    });
  });

  it("names the line and the field of a malformed metrics line", () => {
    const file = "/runs/x/metrics.jsonl";
    const ok = '{"round":1}\n';
    for (const [text, pattern] of [
      [`${ok}${ok}{"round":3,\n`, /metrics\.jsonl line 3 is not valid JSON/],
      [`${ok}[1,2]\n`, /line 2 must be a JSON object with a positive integer `round`/],
      [`${ok}{"round":0}\n`, /line 2: `round` is 0 \(number\)/],
      [`{"round":1,"testAccuracy":"high"}\n`, /line 1: `testAccuracy` is "high" \(string\)/],
      [`{"round":1,"clients":[1,-2]}\n`, /line 1: `clients\.1` is -2 \(number\)/],
      [`{"round":1,"clientAccuracy":{"mean":0.5}}\n`, /line 1: `clientAccuracy\.min` is undefined/],
    ] as const)
      assert.throws(
        () => parseRoundRecords(text, file),
        (error: unknown) =>
          error instanceof DataError &&
          error.message.startsWith(file) &&
          pattern.test(error.message),
        text,
      );
  });
});
