/**
 * The main module of a thread-pool worker. Payload and results live in SharedArrayBuffers, so
 * nothing is copied between threads: the payload is one buffer all workers view, and each
 * result is written into a slot buffer the parent then views.
 *
 * @module
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import { writePlacements } from "../shared-memory.js";
import {
  type InitMessage,
  type JobMessage,
  parseParentMessage,
  serializeError,
  type WorkerMessage,
} from "./protocol.js";
import { controlWords, WorkerStopEvent } from "./stop-flags.js";
import { JobRunner, loadWorkerClass, markPoolWorker, type WorkerIO } from "./worker-runtime.js";

markPoolWorker();

const port = parentPort;
if (port === null) throw new Error("thread-worker-entry must run in a worker thread");

function send(message: WorkerMessage): void {
  port?.postMessage(message);
}

function threadIO(init: InitMessage): WorkerIO {
  if (init.controlBuffer === undefined)
    throw new TypeError("init message lacks the control buffer");
  const control = controlWords(init.controlBuffer);
  const materialised = new WeakMap<JobMessage, SharedArrayBuffer>();
  return {
    payloadRegion: (payload) => {
      if (payload.buffer === undefined) throw new TypeError("payload message lacks its buffer");
      return payload.buffer;
    },
    resultRegion: (job, byteLength) => {
      let region = job.slotBuffer;
      if (region === undefined || region.byteLength < byteLength)
        region = new SharedArrayBuffer(byteLength);
      else if (job.zeroFill === true) new Uint8Array(region, 0, byteLength).fill(0);
      materialised.set(job, region);
      return region;
    },
    commit: (job, plan) => {
      if (plan.placements.length === 0) return {};
      const needed = plan.regionByteLengths[0] ?? 0;
      let slot = materialised.get(job) ?? job.slotBuffer;
      // Too small (the result has arrays beyond the template): a fresh buffer takes them all.
      if (slot === undefined || slot.byteLength < needed) slot = new SharedArrayBuffer(needed);
      writePlacements(plan.placements, [slot]);
      return { slotBuffer: slot };
    },
    stopEvent: (generation) =>
      new WorkerStopEvent(control.read, control.write, generation, () => false),
    call: (cls, job, payload, stopEvent, shmBuffer) =>
      cls.worker(job.cid, job.device, payload, stopEvent, {
        config: job.config,
        get shmBuffer() {
          return shmBuffer();
        },
      }),
  };
}

const init = workerData as InitMessage;
let runner: JobRunner | undefined;

port.on("message", (raw: unknown) => {
  const message = parseParentMessage(raw);
  if (message === undefined) return;
  if (message.type === "exit") {
    port.close();
    process.exit(0);
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
          ...(result.slotBuffer !== undefined ? { slotBuffer: result.slotBuffer } : {}),
        }),
      )
      .catch((error: unknown) =>
        send({ type: "job-error", jobId: job.jobId, error: serializeError(error) }),
      );
  }
});

loadWorkerClass(init.moduleUrl, init.exportName, init.className, init.explicit)
  .then((cls) => {
    runner = new JobRunner(cls, threadIO(init));
    send({ type: "ready", pid: process.pid, threadId });
  })
  .catch((error: unknown) => send({ type: "init-error", error: serializeError(error) }));
