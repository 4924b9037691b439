import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reportJobs } from "../../src/kit/kit-trainers.js";

describe("reportJobs", () => {
  it("hands each job's result to the hook as it resolves, and the jobs on unchanged", async () => {
    const seen: [number, string][] = [];
    let release!: (value: string) => void;
    const late = new Promise<string>((resolve) => {
      release = resolve;
    });
    const jobs = [
      { cid: 4, index: 0, result: late },
      { cid: 7, index: 1, result: Promise.resolve("seven") },
      { cid: 9, index: 2, result: Promise.reject(new Error("failed")) },
    ];
    jobs[2]?.result.catch(() => {});
    assert.equal(
      reportJobs(jobs, (cid, result) => seen.push([cid, result])),
      jobs,
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [[7, "seven"]]);
    release("four");
    await late;
    await new Promise((resolve) => setImmediate(resolve));
    // Arrival order, not cid order (the run's OrderedFold restores cid order); a failed job
    // is not reported.
    assert.deepEqual(seen, [
      [7, "seven"],
      [4, "four"],
    ]);
  });
});
