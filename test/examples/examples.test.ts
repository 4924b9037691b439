// The examples run as a user runs them (tsx, importing the package by its name) and print what
// their comments promise.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function runExample(
  file: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const lastJson = (stdout: string): unknown =>
  JSON.parse(stdout.trim().split("\n").at(-1) ?? "null");

describe("examples", { timeout: 300_000 }, () => {
  it("custom-algorithm.ts: a one-file algorithm with top-level await trains the same model serially and in a process pool", async () => {
    const serial = await runExample("examples/custom-algorithm.ts", [
      "--trainer",
      "serial",
      "--rounds",
      "2",
    ]);
    assert.equal(serial.code, 0, serial.stderr);
    const pooled = await runExample("examples/custom-algorithm.ts", [
      "--trainer",
      "process",
      "--rounds",
      "2",
    ]);
    assert.equal(pooled.code, 0, pooled.stderr);
    const a = lastJson(serial.stdout) as { modelSha256: string; algorithm: string; rounds: number };
    const b = lastJson(pooled.stdout) as { modelSha256: string };
    assert.equal(a.algorithm, "my-fedprox");
    assert.equal(a.rounds, 2);
    assert.equal(a.modelSha256, b.modelSha256);
  });

  it("scaffold-vs-fedavg.ts: runs both algorithms and prints their accuracies", async () => {
    const result = await runExample("examples/scaffold-vs-fedavg.ts", ["--rounds", "2"]);
    assert.equal(result.code, 0, result.stderr);
    const rows = lastJson(result.stdout) as { algorithm: string; testAccuracy: number }[];
    assert.deepEqual(
      rows.map((r) => r.algorithm),
      ["fedavg", "scaffold"],
    );
    for (const row of rows) assert.ok(row.testAccuracy > 0.1, JSON.stringify(row));
  });
});
