/**
 * One client's run, the same in a pool worker and in the serial trainer, so that all three
 * trainers check and lay out results alike: call the user's static `worker` with a lazily made
 * `shmBuffer`, resolve `SHMHandle` markers, check the arrays against the result layout, and plan
 * where they go (the layout's places, then an aligned overflow area after it).
 * @module
 */
import {
  reconstructSharedMemory,
  replaceWithHandles,
  resolveMarkers,
  type SharedPlan,
  writePlacements,
} from "../shared-memory.js";
import type { StopEvent } from "../stop-event.js";
import type { WorkerClass } from "./worker-runtime.js";

/** A result buffer's layout: its receipt and the bytes its region needs. */
export interface ResultLayout {
  readonly receipt: unknown;
  readonly byteLength: number;
}

/** What one client's run needs. */
export interface ClientCall {
  readonly cls: WorkerClass;
  /** Which static `worker` signature: threads take `(cid, device, payload, ...)`. */
  readonly signature: "process" | "thread";
  readonly cid: number;
  readonly config: unknown;
  readonly device: string;
  readonly payload: unknown;
  readonly stopEvent: StopEvent;
  readonly layout: ResultLayout | undefined;
  /** A zero-filled region of at least `byteLength` bytes for the client's `shmBuffer`. */
  resultRegion(byteLength: number): ArrayBufferLike;
  /** Turns an exception of user code into the error to throw (the serial trainer's WorkerError). */
  userError?(error: unknown): unknown;
}

/** What a run produced: the result's plan, and the region its `shmBuffer` used, if it made one. */
export interface ClientOutcome {
  readonly plan: SharedPlan<unknown>;
  readonly region: ArrayBufferLike | undefined;
}

/** Runs one client; see the module comment. */
export async function runClient(call: ClientCall): Promise<ClientOutcome> {
  const { layout } = call;
  let shm: { readonly region: ArrayBufferLike; readonly value: unknown } | undefined;
  // Made on first use only: a worker that builds its own arrays never pays for zero-filling.
  const shmBuffer = (): unknown => {
    if (layout === undefined) return undefined;
    if (shm === undefined) {
      const region = call.resultRegion(layout.byteLength);
      shm = {
        region,
        value: reconstructSharedMemory(layout.receipt, [region], { rootName: "shmBuffer" }),
      };
    }
    return shm.value;
  };
  let returned: unknown;
  try {
    returned = await (call.signature === "thread"
      ? call.cls.worker(call.cid, call.device, call.payload, call.stopEvent, {
          config: call.config,
          get shmBuffer() {
            return shmBuffer();
          },
        })
      : call.cls.worker(call.config, call.payload, call.device, call.stopEvent, {
          cid: call.cid,
          get shmBuffer() {
            return shmBuffer();
          },
        }));
  } catch (error) {
    throw call.userError?.(error) ?? error;
  }
  const result = resolveMarkers(returned, shmBuffer, { rootName: "result" });
  const plan = replaceWithHandles(result, {
    template: layout?.receipt,
    overflowOffset: Math.ceil((layout?.byteLength ?? 0) / 64) * 64,
    rootName: "result",
  });
  return { plan, region: shm?.region };
}

/**
 * Writes a planned result into `region`, or into a fresh region where it does not fit (it has
 * arrays beyond its layout); returns the region used, `undefined` when the result has no arrays.
 */
export function commitResult<B extends ArrayBufferLike>(
  plan: SharedPlan<unknown>,
  region: B | undefined,
  allocate: (byteLength: number) => B,
): B | undefined {
  if (plan.placements.length === 0) return undefined;
  const needed = plan.regionByteLengths[0] ?? 0;
  const target = region !== undefined && region.byteLength >= needed ? region : allocate(needed);
  writePlacements(plan.placements, [target]);
  return target;
}
