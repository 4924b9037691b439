/**
 * The main module of every pool worker, a child process (`child_process.fork`) or a worker
 * thread. It loads the user's class once, then runs one job at a time: take the call's payload
 * (read once per call), give user code its lazily made result buffer, and send back a receipt.
 * Only the transport differs: processes read and write files on tmpfs and ignore SIGINT (the
 * parent owns Ctrl+C); threads view SharedArrayBuffers.
 *
 * @module
 */
import { closeSync, openSync } from "node:fs";
import { parentPort, threadId, workerData } from "node:worker_threads";
import { SharedMemoryError } from "../errors.js";
import {
  reconstructSharedMemory,
  replaceWithHandles,
  resolveMarkers,
  type SharedPlan,
  writePlacements,
} from "../shared-memory.js";
import type { StopEvent } from "../stop-event.js";
import {
  type InitMessage,
  type JobMessage,
  type ParentMessage,
  type RegionMessage,
  serializeError,
  type WorkerMessage,
} from "./protocol.js";
import { readRegionFile, writePlacementsToFile } from "./region-files.js";
import { controlWords, openControlFile, WorkerStopEvent } from "./stop-flags.js";
import { loadWorkerClass, markPoolWorker, type WorkerClass } from "./worker-runtime.js";

markPoolWorker();

/** What differs between processes and threads. */
interface WorkerIO {
  /** The region that holds the call's payload arrays (read the file / take the buffer). */
  payloadRegion(payload: RegionMessage): ArrayBufferLike;
  /** A zero-filled region of at least `byteLength` bytes for the job's result buffer. */
  resultRegion(job: JobMessage, byteLength: number): ArrayBufferLike;
  /** Stores the result's arrays; returns what the parent needs to find them. */
  commit(job: JobMessage, plan: SharedPlan<unknown>): { slotBuffer?: SharedArrayBuffer };
  /** True once the parent is gone. */
  parentGone(): boolean;
  /** The control words (stop flag, cancelled call). */
  readonly control: ReturnType<typeof controlWords>;
}

/** Grows to the largest region seen; reused so that its pages stay mapped. */
function reusableRegion(): (byteLength: number) => ArrayBuffer {
  let buffer = new ArrayBuffer(0);
  return (byteLength) => {
    if (buffer.byteLength < byteLength) buffer = new ArrayBuffer(byteLength);
    return buffer;
  };
}

function processIO(init: InitMessage): WorkerIO {
  const { controlPath, payloadPath, slotPaths } = init;
  if (controlPath === undefined || payloadPath === undefined || slotPaths === undefined)
    throw new TypeError("init message lacks the control, payload or slot path");
  const slotFds = slotPaths.map((path) => openSync(path, "r+"));
  const payloadRegion = reusableRegion();
  const resultRegion = reusableRegion();
  const parentPid = process.ppid;
  return {
    control: openControlFile(controlPath),
    parentGone: () => process.ppid !== parentPid,
    payloadRegion: (payload) => {
      const region = payloadRegion(payload.byteLength);
      const fd = openSync(payloadPath, "r");
      try {
        readRegionFile(fd, region, payload.byteLength);
      } finally {
        closeSync(fd);
      }
      return region;
    },
    resultRegion: (_job, byteLength) => {
      const region = resultRegion(byteLength);
      new Uint8Array(region, 0, byteLength).fill(0);
      return region;
    },
    commit: (job, plan) => {
      const fd = slotFds[job.slot ?? 0];
      if (fd === undefined) throw new TypeError(`no result file ${String(job.slot)}`);
      writePlacementsToFile(fd, plan.placements);
      return {};
    },
  };
}

function threadIO(init: InitMessage): WorkerIO {
  if (init.controlBuffer === undefined)
    throw new TypeError("init message lacks the control buffer");
  const materialised = new WeakMap<JobMessage, SharedArrayBuffer>();
  return {
    control: controlWords(init.controlBuffer),
    parentGone: () => false,
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
  };
}

let payload: { generation: number; value: unknown } | undefined;

/** Runs one job; resolves to the result message. */
async function runJob(
  kind: InitMessage["kind"],
  cls: WorkerClass,
  io: WorkerIO,
  job: JobMessage,
): Promise<WorkerMessage> {
  if (job.payload !== undefined) {
    const region = io.payloadRegion(job.payload);
    const value = reconstructSharedMemory(job.payload.receipt, [region], { rootName: "payload" });
    payload = { generation: job.generation, value };
  }
  if (payload === undefined || payload.generation !== job.generation)
    throw new SharedMemoryError(`The worker has no payload for call ${job.generation} (internal)`);
  const stopEvent: StopEvent = new WorkerStopEvent(
    io.control.read,
    io.control.write,
    job.generation,
    io.parentGone,
  );
  const template = job.template;
  let shmBuffer: { value: unknown } | undefined;
  const getShmBuffer = (): unknown => {
    if (template === undefined) return undefined;
    shmBuffer ??= {
      value: reconstructSharedMemory(
        template.receipt,
        [io.resultRegion(job, template.byteLength)],
        { rootName: "shmBuffer" },
      ),
    };
    return shmBuffer.value;
  };
  const returned = await (kind === "thread"
    ? cls.worker(job.cid, job.device, payload.value, stopEvent, {
        config: job.config,
        get shmBuffer() {
          return getShmBuffer();
        },
      })
    : cls.worker(job.config, payload.value, job.device, stopEvent, {
        cid: job.cid,
        get shmBuffer() {
          return getShmBuffer();
        },
      }));
  const result = resolveMarkers(returned, getShmBuffer, { rootName: "result" });
  const templateBytes = template?.byteLength ?? 0;
  const plan = replaceWithHandles(result, {
    template: template?.receipt,
    overflowRegion: 0,
    // Arrays the template does not place go after it, at the next 64-byte boundary.
    overflowOffset: Math.ceil(templateBytes / 64) * 64,
    rootName: "result",
  });
  const { slotBuffer } = io.commit(job, plan);
  return {
    type: "result",
    jobId: job.jobId,
    receipt: plan.receipt,
    byteLength: plan.regionByteLengths[0] ?? 0,
    ...(slotBuffer !== undefined ? { slotBuffer } : {}),
  };
}

const port = parentPort;
const send = (message: WorkerMessage): void => {
  if (port !== null) port.postMessage(message);
  else if (process.send !== undefined && process.connected)
    // A failed send means the parent is gone; the disconnect handler ends this process.
    process.send(message, undefined, {}, () => {});
};
let ready: { cls: WorkerClass; io: WorkerIO; kind: InitMessage["kind"] } | undefined;

function init(message: InitMessage): void {
  loadWorkerClass(message.moduleUrl, message.exportName, message.className, message.explicit)
    .then((cls) => {
      ready = {
        cls,
        io: message.kind === "thread" ? threadIO(message) : processIO(message),
        kind: message.kind,
      };
      send({ type: "ready", pid: process.pid, threadId });
    })
    .catch((error: unknown) => send({ type: "init-error", error: serializeError(error) }));
}

/** Only the parent posts here, with the typed messages of protocol.ts. */
function onMessage(message: ParentMessage): void {
  if (message.type === "exit") {
    port?.close();
    process.exit(0);
  } else if (message.type === "init") init(message);
  else {
    const { jobId } = message;
    if (ready === undefined)
      send({ type: "job-error", jobId, error: serializeError(new Error("not initialised")) });
    else
      runJob(ready.kind, ready.cls, ready.io, message)
        .then(send)
        .catch((error: unknown) =>
          send({ type: "job-error", jobId, error: serializeError(error) }),
        );
  }
}

if (port !== null) {
  port.on("message", onMessage);
  init(workerData as InitMessage);
} else {
  process.on("SIGINT", () => {});
  process.on("disconnect", () => process.exit(0));
  process.on("message", onMessage);
}
