import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  REGION_MARKER,
  RegionDirectory,
  removeOrphanedDirectories,
} from "../../../src/core/pool/region-files.js";

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid as number;
}

describe("region directories", () => {
  it("start-up clean-up keeps a user's blazefl-<digits>-* directories and removes only its own orphans", async (t) => {
    const base = mkdtempSync(join(tmpdir(), "blazefl-regions-"));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const dead = await deadPid();
    const user = [
      "blazefl-31337-user-cache",
      `blazefl-${dead}-notes`,
      // Our naming, but without the marker: a user's copy, kept.
      `blazefl-pool-p${dead}-abcdef`,
    ];
    for (const name of user) {
      mkdirSync(join(base, name));
      writeFileSync(join(base, name, "precious.txt"), "keep me");
    }
    // Our naming and a marker of another pid: kept.
    mkdirSync(join(base, `blazefl-pool-p${dead}-zzzzzz`));
    writeFileSync(
      join(base, `blazefl-pool-p${dead}-zzzzzz`, REGION_MARKER),
      "blazefl region directory of pid 1\n",
    );
    // A link with our name pointing outside: never followed, never removed.
    const outside = mkdtempSync(join(tmpdir(), "blazefl-outside-"));
    t.after(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, REGION_MARKER), `blazefl region directory of pid ${dead}\n`);
    symlinkSync(outside, join(base, `blazefl-pool-p${dead}-linked`));
    // A real orphan: what a SIGKILLed pool of pid `dead` leaves.
    const orphan = join(base, `blazefl-pool-p${dead}-Qx12ab`);
    mkdirSync(orphan);
    writeFileSync(join(orphan, REGION_MARKER), `blazefl region directory of pid ${dead}\n`);
    writeFileSync(join(orphan, "0.region"), "x");

    removeOrphanedDirectories(base);
    for (const name of user) assert.ok(existsSync(join(base, name, "precious.txt")), name);
    assert.ok(existsSync(join(base, `blazefl-pool-p${dead}-zzzzzz`)));
    assert.ok(existsSync(join(outside, REGION_MARKER)), "nothing outside the base is touched");
    assert.ok(existsSync(join(base, `blazefl-pool-p${dead}-linked`)));
    assert.ok(!existsSync(orphan), "the orphan with our marker is removed");
  });

  it("a new pool's directory carries the marker, survives other pools' sweeps while alive", (t) => {
    const base = mkdtempSync(join(tmpdir(), "blazefl-regions-"));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const directory = new RegionDirectory(base);
    assert.match(directory.path, new RegExp(`/blazefl-pool-p${process.pid}-[A-Za-z0-9]{6}$`));
    assert.deepEqual(readdirSync(directory.path), [REGION_MARKER]);
    const other = new RegionDirectory(base);
    assert.ok(existsSync(directory.path), "a live pid's directory is kept");
    directory.removeSync();
    other.removeSync();
    assert.deepEqual(readdirSync(base), []);
  });
});
