import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MAX_CONFIG_BYTES, readConfigFile } from "../../../src/cli/commands/run.js";
import { OptionsError } from "../../../src/core/errors.js";

const refusedAsTooLarge = (error: unknown) =>
  error instanceof OptionsError &&
  error.option === "--config" &&
  error.expected === `a JSON file of at most ${MAX_CONFIG_BYTES} bytes`;

describe("readConfigFile", () => {
  it("refuses a file larger than the bound instead of reading it all", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "blazefl-config-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "big.json");
    // Valid JSON, 2 MB of it: only its size is wrong.
    writeFileSync(file, `{${" ".repeat(2 * 1024 * 1024)}"rounds": 2}`);
    assert.throws(() => readConfigFile(file), refusedAsTooLarge);
    const small = join(dir, "small.json");
    writeFileSync(small, `{${" ".repeat(MAX_CONFIG_BYTES - 20)}"rounds": 2}`);
    assert.deepEqual(readConfigFile(small), { rounds: 2 });
  });

  it("/dev/zero (endless, no size) stops at the bound", () => {
    assert.throws(() => readConfigFile("/dev/zero"), refusedAsTooLarge);
  });
});
