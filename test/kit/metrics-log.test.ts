import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { exitCodeFor } from "../../src/core/errors.js";
import { CorruptFileError } from "../../src/kit/corrupt-file-error.js";
import { MetricsLog } from "../../src/kit/metrics-log.js";

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "blazefl-metrics-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "metrics.jsonl");
}

const line = (round: number) => `${JSON.stringify({ round, loss: round / 10 })}\n`;

describe("MetricsLog", () => {
  it("appends one line per round and reads them back on reopening", (t) => {
    const file = scratch(t);
    const log = MetricsLog.open(file, { keepThroughRound: 0 });
    for (let round = 1; round <= 3; round++) log.append({ round, loss: round / 10 });
    log.close();
    assert.equal(readFileSync(file, "utf8"), line(1) + line(2) + line(3));
    const again = MetricsLog.open(file, { keepThroughRound: 3 });
    assert.deepEqual(
      again.records.map((r) => r.round),
      [1, 2, 3],
    );
    again.append({ round: 4, loss: 0.4 });
    assert.throws(() => again.append({ round: 4 }), RangeError);
    again.close();
    assert.equal(readFileSync(file, "utf8"), line(1) + line(2) + line(3) + line(4));
  });

  it("cuts a torn last line (a crash mid-append) and says so", (t) => {
    const file = scratch(t);
    writeFileSync(file, `${line(1)}${line(2)}{"round":3,"lo`);
    const repairs: string[] = [];
    const log = MetricsLog.open(file, {
      keepThroughRound: 2,
      onRepair: (m) => repairs.push(m),
    });
    log.append({ round: 3, loss: 0.3 });
    log.close();
    assert.equal(readFileSync(file, "utf8"), line(1) + line(2) + line(3));
    assert.match(repairs[0] ?? "", /line 3 is torn/);
  });

  it("drops the rounds after the checkpoint, which the resumed run computes again", (t) => {
    const file = scratch(t);
    writeFileSync(file, line(1) + line(2) + line(3));
    const log = MetricsLog.open(file, { keepThroughRound: 1 });
    log.close();
    assert.equal(readFileSync(file, "utf8"), line(1));
    const fresh = MetricsLog.open(file, { keepThroughRound: 0 });
    fresh.close();
    assert.equal(readFileSync(file, "utf8"), "");
  });

  it("a corrupt line in the middle names the file and the line, exit 2, nothing changed", (t) => {
    const file = scratch(t);
    const content = `${line(1)}not json\n${line(3)}`;
    writeFileSync(file, content);
    assert.throws(
      () => MetricsLog.open(file, { keepThroughRound: 3 }),
      (error: unknown) =>
        error instanceof CorruptFileError &&
        error.path === file &&
        error.line === 2 &&
        exitCodeFor(error) === 2 &&
        /metrics\.jsonl, line 2: is not JSON\. Fix or delete/.test(error.message),
    );
    writeFileSync(file, line(2) + line(1));
    assert.throws(
      () => MetricsLog.open(file, { keepThroughRound: 3 }),
      /line 2: has round 1 after round 2/,
    );
    writeFileSync(file, `${line(1)}[1,2]\n${line(3)}`);
    assert.throws(
      () => MetricsLog.open(file, { keepThroughRound: 3 }),
      /line 2: is not a metrics record/,
    );
    appendFileSync(file, "");
    assert.equal(readFileSync(file, "utf8"), `${line(1)}[1,2]\n${line(3)}`);
  });
});
