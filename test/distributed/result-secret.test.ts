import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DistributedError } from "../../src/distributed/errors.js";
import { loadOrCreateResultSecret } from "../../src/distributed/result-secret.js";

describe("loadOrCreateResultSecret", () => {
  it("creates a private 32-byte key once and reads the same key back", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "blazefl-secret-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, ".blazefl-redis-key");
    const first = loadOrCreateResultSecret(file);
    assert.equal(first.length, 32);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadOrCreateResultSecret(file), first);
    const other = loadOrCreateResultSecret(join(dir, "other"));
    assert.notDeepEqual(other, first, "each run has its own key");
    writeFileSync(file, "short");
    assert.throws(
      () => loadOrCreateResultSecret(file),
      (e: unknown) =>
        e instanceof DistributedError && e.message.startsWith(`${file} holds 5 bytes`),
    );
  });
});
