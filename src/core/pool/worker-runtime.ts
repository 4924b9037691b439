/**
 * The worker side shared by the process and thread entries: load the user's class once, then
 * for each job take the call's payload (read once per call, cached by generation), give user
 * code its lazily materialised result buffer, and turn its result into a receipt.
 *
 * @module
 */
import { SharedMemoryError } from "../errors.js";
import { reconstructSharedMemory, replaceWithHandles, type SharedPlan } from "../shared-memory.js";
import type { StopEvent } from "../stop-event.js";
import type { JobMessage, RegionMessage } from "./protocol.js";

/** A class whose static `worker` runs clients. */
export interface WorkerClass {
  /** The class name. */
  readonly name: string;
  /** The static training function. */
  worker(...args: unknown[]): unknown;
}

const POOL_WORKER_FLAG = Symbol.for("blazefl.poolWorker");

/** Marks this thread as a pool worker (called by the worker entries before user code loads). */
export function markPoolWorker(): void {
  (globalThis as Record<symbol, unknown>)[POOL_WORKER_FLAG] = true;
}

/**
 * True inside a pool worker (process or thread). A module that both exports a trainer class and
 * runs training when executed can guard its main code with `if (!isPoolWorker()) main();`, since
 * every worker imports that module.
 */
export function isPoolWorker(): boolean {
  return (globalThis as Record<symbol, unknown>)[POOL_WORKER_FLAG] === true;
}

/** Imports `moduleUrl` and returns its export `exportName`, checked to have a static `worker`. */
export async function loadWorkerClass(moduleUrl: string, exportName: string): Promise<WorkerClass> {
  const module = (await import(moduleUrl)) as Record<string, unknown>;
  const exported = module[exportName];
  if (typeof exported !== "function")
    throw new TypeError(`${moduleUrl} has no exported class named ${JSON.stringify(exportName)}`);
  if (typeof (exported as { worker?: unknown }).worker !== "function")
    throw new TypeError(`${exportName} (from ${moduleUrl}) has no static worker() method`);
  return exported as unknown as WorkerClass;
}

/** Rounds `n` up to a multiple of 64, the start of a result's overflow area. */
export function overflowStart(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** What differs between processes and threads on the worker side. */
export interface WorkerIO {
  /** The region that holds the call's payload arrays (read the file / take the buffer). */
  payloadRegion(payload: RegionMessage): ArrayBufferLike;
  /** A zero-filled region of at least `byteLength` bytes for the job's result buffer. */
  resultRegion(job: JobMessage, byteLength: number): ArrayBufferLike;
  /** Stores the result's arrays; returns what the parent needs to find them. */
  commit(job: JobMessage, plan: SharedPlan<unknown>): { slotBuffer?: SharedArrayBuffer };
  /** The stop event user code sees during a job of `generation`. */
  stopEvent(generation: number): StopEvent;
  /** Calls the user's static `worker` with this kind's argument order. */
  call(
    cls: WorkerClass,
    job: JobMessage,
    payload: unknown,
    stopEvent: StopEvent,
    shmBuffer: () => unknown,
  ): unknown;
}

/** Runs jobs for one worker. */
export class JobRunner {
  readonly #cls: WorkerClass;
  readonly #io: WorkerIO;
  #payload: { generation: number; value: unknown } | undefined;

  /** @param cls - The user's class. @param io - The transport. */
  constructor(cls: WorkerClass, io: WorkerIO) {
    this.#cls = cls;
    this.#io = io;
  }

  /** Runs one job; resolves to the result's receipt and slot byte length. */
  async run(
    job: JobMessage,
  ): Promise<{ receipt: unknown; byteLength: number; slotBuffer?: SharedArrayBuffer }> {
    const payload = this.#payloadFor(job);
    const stopEvent = this.#io.stopEvent(job.generation);
    const template = job.template;
    let shmBuffer: unknown;
    let materialised = false;
    const getShmBuffer = (): unknown => {
      if (template === undefined) return undefined;
      if (!materialised) {
        const region = this.#io.resultRegion(job, template.byteLength);
        shmBuffer = reconstructSharedMemory(template.receipt, [region], { rootName: "shmBuffer" });
        materialised = true;
      }
      return shmBuffer;
    };
    const result = await this.#io.call(this.#cls, job, payload, stopEvent, getShmBuffer);
    const plan = replaceWithHandles(result, {
      template: template?.receipt,
      overflowRegion: 0,
      overflowOffset: overflowStart(template?.byteLength ?? 0),
      rootName: "result",
    });
    const { slotBuffer } = this.#io.commit(job, plan);
    return {
      receipt: plan.receipt,
      byteLength: plan.regionByteLengths[0] ?? 0,
      ...(slotBuffer !== undefined ? { slotBuffer } : {}),
    };
  }

  #payloadFor(job: JobMessage): unknown {
    if (job.payload !== undefined) {
      const region = this.#io.payloadRegion(job.payload);
      this.#payload = {
        generation: job.generation,
        value: reconstructSharedMemory(job.payload.receipt, [region], { rootName: "payload" }),
      };
    }
    if (this.#payload === undefined || this.#payload.generation !== job.generation)
      throw new SharedMemoryError(
        `The worker has no payload for call ${job.generation} (internal: the parent did not send it)`,
      );
    return this.#payload.value;
  }
}
