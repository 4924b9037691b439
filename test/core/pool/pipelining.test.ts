/**
 * Pipelining: when jobs are short, a busy worker is sent its next job before it replies, so it
 * never waits for the parent between jobs. Shown by blocking the parent's event loop: a worker
 * can then start a job only if it already holds it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { ClientJob } from "../../../src/core/pool/trainer-options.js";
import {
  expectedToy,
  ToyProcessTrainer,
  ToyThreadTrainer,
  type ToyUp,
} from "../../fixtures/core/toy-trainers.js";
import { scratchDir, toyPayload } from "../pool-helpers.js";

const SAFETY = { timeout: 120_000 };
const payload = toyPayload();

/** Spins (blocking this thread's event loop) until `condition` holds or `ms` pass. */
function blockUntil(condition: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) if (condition()) return true;
  return false;
}

const kinds = [
  { name: "process", make: (o: object) => new ToyProcessTrainer({ numParallels: 1, ...o }) },
  { name: "thread", make: (o: object) => new ToyThreadTrainer({ numParallels: 1, ...o }) },
] as const;

for (const kind of kinds) {
  describe(`${kind.name} pool: pipelining short jobs`, SAFETY, () => {
    it("sends a busy worker its next job, which it starts while the parent is blocked", async () => {
      const scratch = scratchDir();
      const trainer = kind.make({ valuesLength: 5 });
      try {
        await trainer.localProcess(payload, [0, 1, 2, 3]); // the median: short jobs
        const marker = scratch.file("third-started");
        trainer.modes = { 7: { mode: "touch", marker } };
        let startedWhileBlocked: boolean | undefined;
        trainer.progressFn = (jobs: readonly ClientJob<ToyUp>[]) => {
          // On the first result: the second job was just sent to the idle worker, and the
          // third, if pipelined, with it. Without pipelining the third is sent only once the
          // parent reads the second result, which it cannot while it spins here.
          void jobs[0]?.result.then(() => {
            startedWhileBlocked = blockUntil(() => existsSync(marker), 20_000);
          });
          return jobs;
        };
        await trainer.localProcess(payload, [5, 6, 7, 8]);
        assert.equal(startedWhileBlocked, true, "the third job started while the parent spun");
        for (const up of trainer.uplinkPackage())
          assert.deepEqual(Array.from(up.values), Array.from(expectedToy(payload, up.cid).values));
      } finally {
        await trainer.shutdown();
        scratch.dispose();
      }
    });

    it("reruns a dead worker's queued job too, counting the death against the running job only", async () => {
      const scratch = scratchDir();
      // maxRetries 1: each client may die once. Had the queued job been charged for the death of
      // the job ahead of it, its own death would exceed the limit and fail the call.
      const trainer = kind.make({ valuesLength: 5, maxRetries: 1 });
      try {
        await trainer.localProcess(payload, [0, 1, 2, 3]);
        trainer.uplinkPackage();
        const [a, b] = [scratch.file("a"), scratch.file("b")];
        trainer.modes = {
          5: { mode: "die-once", dieHow: "exit", marker: a },
          6: { mode: "die-once", dieHow: "exit", marker: b },
        };
        const cids = [5, 6, 7, 8];
        await trainer.localProcess(payload, cids);
        const ups = trainer.uplinkPackage();
        assert.deepEqual(
          ups.map((u) => u.cid),
          cids,
        );
        for (const up of ups)
          assert.deepEqual(Array.from(up.values), Array.from(expectedToy(payload, up.cid).values));
        for (const marker of [a, b])
          assert.equal(readFileSync(marker, "utf8").trim().split("\n").length, 1, "died once");
      } finally {
        await trainer.shutdown();
        scratch.dispose();
      }
    });
  });
}
