/**
 * The main module of a process-pool worker (started by `child_process.fork`). It ignores SIGINT
 * (the parent owns Ctrl+C), exits when its IPC channel closes (the parent is gone), loads the
 * user's class once, then runs one job at a time. Arrays move through files on tmpfs; only
 * receipts cross IPC.
 *
 * @module
 */
import { closeSync, openSync } from "node:fs";
import { threadId } from "node:worker_threads";
import {
  type InitMessage,
  parseParentMessage,
  serializeError,
  type WorkerMessage,
} from "./protocol.js";
import { readRegionFile, writePlacementsToFile } from "./region-files.js";
import { openControlFile, WorkerStopEvent } from "./stop-flags.js";
import { JobRunner, loadWorkerClass, markPoolWorker, type WorkerIO } from "./worker-runtime.js";

markPoolWorker();

process.on("SIGINT", () => {});
process.on("disconnect", () => process.exit(0));

const parentPid = process.ppid;
const parentGone = (): boolean => process.ppid !== parentPid;

function send(message: WorkerMessage): void {
  if (process.send === undefined || !process.connected) return;
  process.send(message, undefined, {}, () => {
    // A failed send means the parent is gone; the disconnect handler ends this process.
  });
}

/** Grows to the largest region seen; reused so that its pages stay mapped. */
class ReusableRegion {
  #buffer = new ArrayBuffer(0);
  get(byteLength: number): ArrayBuffer {
    if (this.#buffer.byteLength < byteLength) this.#buffer = new ArrayBuffer(byteLength);
    return this.#buffer;
  }
}

function processIO(init: InitMessage): WorkerIO {
  if (
    init.controlPath === undefined ||
    init.payloadPath === undefined ||
    init.slotPaths === undefined
  )
    throw new TypeError("init message lacks the control, payload or slot path");
  const control = openControlFile(init.controlPath);
  const payloadPath = init.payloadPath;
  const slotFds = init.slotPaths.map((path) => openSync(path, "r+"));
  const payloadRegion = new ReusableRegion();
  const resultRegion = new ReusableRegion();
  return {
    payloadRegion: (payload) => {
      // Reused across calls (its pages stay mapped): a call's payload is valid during that call.
      const region = payloadRegion.get(payload.byteLength);
      const fd = openSync(payloadPath, "r");
      try {
        readRegionFile(fd, region, payload.byteLength);
      } finally {
        closeSync(fd);
      }
      return region;
    },
    resultRegion: (_job, byteLength) => {
      const region = resultRegion.get(byteLength);
      new Uint8Array(region, 0, byteLength).fill(0);
      return region;
    },
    commit: (job, plan) => {
      const fd = slotFds[job.slot ?? 0];
      if (fd === undefined) throw new TypeError(`no result file ${String(job.slot)}`);
      writePlacementsToFile(fd, plan.placements);
      return {};
    },
    stopEvent: (generation) =>
      new WorkerStopEvent(control.read, control.write, generation, parentGone),
    call: (cls, job, payload, stopEvent, shmBuffer) =>
      cls.worker(job.config, payload, job.device, stopEvent, {
        cid: job.cid,
        get shmBuffer() {
          return shmBuffer();
        },
      }),
  };
}

let runner: JobRunner | undefined;

process.on("message", (raw: unknown) => {
  const message = parseParentMessage(raw);
  if (message === undefined) return;
  if (message.type === "exit") {
    process.exit(0);
  } else if (message.type === "init") {
    loadWorkerClass(message.moduleUrl, message.exportName, message.className, message.explicit)
      .then((cls) => {
        runner = new JobRunner(cls, processIO(message));
        send({ type: "ready", pid: process.pid, threadId });
      })
      .catch((error: unknown) => send({ type: "init-error", error: serializeError(error) }));
  } else if (message.type === "job") {
    const job = message;
    if (runner === undefined) {
      send({
        type: "job-error",
        jobId: job.jobId,
        error: serializeError(new Error("worker not initialised")),
      });
      return;
    }
    runner
      .run(job)
      .then((result) =>
        send({
          type: "result",
          jobId: job.jobId,
          receipt: result.receipt,
          byteLength: result.byteLength,
          slot: job.slot ?? 0,
        }),
      )
      .catch((error: unknown) =>
        send({ type: "job-error", jobId: job.jobId, error: serializeError(error) }),
      );
  }
});
