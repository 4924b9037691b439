/**
 * The main module of every pool worker, a child process (`child_process.fork`) or a worker
 * thread. It loads the user's class once, then runs one job at a time (see `runClient`) and sends
 * back a receipt. Only the data movement differs: processes read and write files on tmpfs and
 * ignore SIGINT (the parent owns Ctrl+C); threads view SharedArrayBuffers.
 * @module
 */
import { openSync } from "node:fs";
import { parentPort, threadId, workerData } from "node:worker_threads";
import { SharedMemoryError } from "../errors.js";
import { reconstructSharedMemory, type SharedPlan } from "../shared-memory.js";
import { commitResult, runClient } from "./client-run.js";
import type {
  InitMessage,
  JobMessage,
  ParentMessage,
  RegionMessage,
  WorkerMessage,
} from "./protocol.js";
import { serializeError } from "./protocol.js";
import { readRegionFile, writePlacementsToFile } from "./region-files.js";
import { atomicWords, type ControlWords, openControlFile, WorkerStopEvent } from "./stop-flags.js";
import { loadWorkerClass, markPoolWorker, type WorkerClass } from "./worker-runtime.js";

markPoolWorker();

/** What differs between processes and threads. */
interface WorkerIO {
  readonly control: ControlWords;
  parentGone(): boolean;
  /** The region that holds the call's payload arrays. */
  payloadRegion(payload: RegionMessage): ArrayBufferLike;
  /** A zero-filled region of at least `byteLength` bytes for the job's result buffer. */
  resultRegion(job: JobMessage, byteLength: number): ArrayBufferLike;
  /** Stores the result's arrays; returns the region a thread's parent views. */
  commit(
    job: JobMessage,
    plan: SharedPlan<unknown>,
    region: ArrayBufferLike | undefined,
  ): SharedArrayBuffer | undefined;
}

/** Grows to the largest region seen; reused so that its pages stay mapped. */
function reusableRegion(): (byteLength: number) => ArrayBuffer {
  let buffer = new ArrayBuffer(0);
  return (byteLength) => {
    if (buffer.byteLength < byteLength) buffer = new ArrayBuffer(byteLength);
    return buffer;
  };
}

function processIO({ controlPath, payloadPath, slotPaths }: InitMessage): WorkerIO {
  if (controlPath === undefined || payloadPath === undefined || slotPaths === undefined)
    throw new TypeError("init message lacks the control, payload or slot path");
  const payloadFd = openSync(payloadPath, "r");
  const slotFds = slotPaths.map((path) => openSync(path, "r+"));
  const payloadRegion = reusableRegion();
  const resultRegion = reusableRegion();
  const parentPid = process.ppid;
  return {
    control: openControlFile(controlPath),
    parentGone: () => process.ppid !== parentPid,
    payloadRegion: ({ byteLength }) => {
      const region = payloadRegion(byteLength);
      readRegionFile(payloadFd, region, byteLength);
      return region;
    },
    resultRegion: (_job, byteLength) => {
      const region = resultRegion(byteLength);
      new Uint8Array(region, 0, byteLength).fill(0);
      return region;
    },
    commit: (job, plan) => {
      writePlacementsToFile(slotFds[job.slot ?? 0] as number, plan.placements);
      return undefined;
    },
  };
}

/** The zeros {@link zeroShared} copies from: few copies per result, and it stays in cache. */
const ZEROS = new Uint8Array(64 * 1024);

/**
 * Zeroes the first `byteLength` bytes of a recycled result slot. V8 fills a SharedArrayBuffer
 * byte by byte (another thread may be reading it, so it cannot use memset): 0.23 ms for the MLP's
 * 800 KB, a fifth of a small client's set-up. A copy from zeroed memory is a memcpy: 0.03 ms.
 */
function zeroShared(slot: SharedArrayBuffer, byteLength: number): void {
  const bytes = new Uint8Array(slot, 0, byteLength);
  let offset = 0;
  for (; offset + ZEROS.length <= byteLength; offset += ZEROS.length) bytes.set(ZEROS, offset);
  if (offset < byteLength) bytes.set(ZEROS.subarray(0, byteLength - offset), offset);
}

function threadIO({ controlBuffer }: InitMessage): WorkerIO {
  if (controlBuffer === undefined) throw new TypeError("init message lacks the control buffer");
  return {
    control: atomicWords(controlBuffer),
    parentGone: () => false,
    payloadRegion: (payload) => payload.buffer ?? new SharedArrayBuffer(0),
    resultRegion: (job, byteLength) => {
      const slot = job.slotBuffer;
      if (slot === undefined || slot.byteLength < byteLength)
        return new SharedArrayBuffer(byteLength);
      if (job.zeroFill === true) zeroShared(slot, byteLength);
      return slot;
    },
    commit: (job, plan, region) =>
      commitResult(
        plan,
        (region as SharedArrayBuffer | undefined) ?? job.slotBuffer,
        (n) => new SharedArrayBuffer(n),
      ),
  };
}

let payload: { generation: number; value: unknown } | undefined;

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
  const { plan, region } = await runClient({
    cls,
    signature: kind,
    cid: job.cid,
    config: job.config,
    device: job.device,
    payload: payload.value,
    stopEvent: new WorkerStopEvent(io.control, job.generation, io.parentGone),
    layout: job.template,
    resultRegion: (byteLength) => io.resultRegion(job, byteLength),
  });
  const slotBuffer = io.commit(job, plan, region);
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
  // A failed send means the parent is gone; the disconnect handler ends this process.
  else if (process.connected) process.send?.(message, undefined, {}, () => {});
};
let ready: { cls: WorkerClass; io: WorkerIO; kind: InitMessage["kind"] } | undefined;
let jobs: Promise<void> = Promise.resolve();

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
    const fail = (error: unknown) =>
      send({ type: "job-error", jobId, error: serializeError(error) });
    const loaded = ready;
    // Jobs run one at a time, in the order sent: the parent may send the next one early.
    // Sending can throw too (a result field postMessage cannot clone): that is the job's error.
    jobs = jobs.then(() =>
      loaded === undefined
        ? fail(new Error("not initialised"))
        : runJob(loaded.kind, loaded.cls, loaded.io, message).then(send).catch(fail),
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
