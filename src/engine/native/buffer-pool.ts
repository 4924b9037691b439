/**
 * Output-buffer reuse for the native kernels.
 *
 * A training step allocates the same output sizes every step (about 55 MB for the CNN). Fresh
 * Float32Arrays are zero-filled, page-faulted in and later collected; the native kernels write
 * every element of their outputs anyway, so they can take a buffer that a disposed tensor left.
 *
 * A buffer is recycled only when nothing else can see it:
 * - only buffers this pool allocated are ever recycled (a user's own array never is);
 * - it is counted once per data-storage entry that holds it or a view of it (some stock kernels
 *   alias their input, e.g. a contiguous Slice returns a subarray), and only freed at zero;
 * - once its values leave tfjs through `readSync` (`dataSync()`, `data()`, `bufferSync()`,
 *   `arraySync()`), the caller may keep the array, so it is never recycled again.
 *
 * It works by wrapping three methods on one cpu backend instance (`data.set`, `data.delete`,
 * `readSync`); {@link BufferPool.detach} puts them back.
 *
 * @module
 */
import type { CpuBackend, CpuDataStorage } from "./cpu-backend.js";

/** Buffers smaller than this many elements are not worth the bookkeeping: always fresh. */
export const MIN_POOLED_LENGTH = 64;

/** Counters of a {@link BufferPool}, for tests and benchmarks. */
export interface BufferPoolStats {
  /** Buffers handed out from the free lists. */
  readonly hits: number;
  /** Buffers allocated fresh (pool-sized, but no free one of that length). */
  readonly misses: number;
  /** Buffers returned to the free lists. */
  readonly recycled: number;
  /** Buffers that escaped through `readSync` and will never be recycled. */
  readonly escaped: number;
  /** Buffers dropped because the free lists were full. */
  readonly dropped: number;
  /** Bytes held in the free lists now. */
  readonly freeBytes: number;
  /** Pool buffers held by live tensors now. */
  readonly liveBuffers: number;
}

interface Wrapped {
  readonly backend: CpuBackend;
  readonly data: CpuDataStorage;
  readonly restore: () => void;
}

/** Free lists of Float32Arrays by exact length, fed by the disposal of pool-born tensors. */
export class BufferPool {
  /** The most bytes the free lists hold; buffers beyond it are left to the garbage collector. */
  readonly maxFreeBytes: number;
  #free = new Map<number, Float32Array[]>();
  #freeBytes = 0;
  #born = new WeakSet<ArrayBufferLike>();
  #holders = new Map<ArrayBufferLike, number>();
  #escaped = new WeakSet<ArrayBufferLike>();
  #wrapped: Wrapped | undefined;
  #hits = 0;
  #misses = 0;
  #recycled = 0;
  #escapes = 0;
  #dropped = 0;

  /** @param maxFreeBytes - Cap of the free lists in bytes (0 disables reuse). */
  constructor(maxFreeBytes: number) {
    this.maxFreeBytes = maxFreeBytes;
  }

  /** Whether the pool is attached to a backend (only then can buffers come back). */
  get attached(): boolean {
    return this.#wrapped !== undefined;
  }

  /**
   * A Float32Array of `length` elements whose contents are unspecified: the caller must write
   * every element before the array becomes a tensor's values.
   */
  acquire(length: number): Float32Array {
    if (length < MIN_POOLED_LENGTH || this.#wrapped === undefined) return new Float32Array(length);
    const list = this.#free.get(length);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.#freeBytes -= reused.byteLength;
      this.#hits++;
      return reused;
    }
    this.#misses++;
    const fresh = new Float32Array(length);
    this.#born.add(fresh.buffer);
    return fresh;
  }

  /** Starts tracking the data storage of `backend`; idempotent for the same backend. */
  attach(backend: CpuBackend): void {
    if (this.#wrapped?.backend === backend) return;
    this.detach();
    const data = backend.data;
    const ownSet = Object.hasOwn(data, "set");
    const ownDelete = Object.hasOwn(data, "delete");
    const ownRead = Object.hasOwn(backend, "readSync");
    const set = data.set;
    const del = data.delete;
    const readSync = backend.readSync;
    data.set = (dataId, value) => {
      if (data.has(dataId)) this.#release(data.get(dataId).values);
      set.call(data, dataId, value);
      this.#hold(value.values);
    };
    data.delete = (dataId) => {
      const values = data.has(dataId) ? data.get(dataId).values : undefined;
      const removed = del.call(data, dataId);
      if (values !== undefined) this.#release(values);
      return removed;
    };
    backend.readSync = (dataId) => {
      const values = readSync.call(backend, dataId);
      this.#escape(values);
      return values;
    };
    const restore = (): void => {
      if (ownSet) data.set = set;
      else delete (data as Partial<CpuDataStorage>).set;
      if (ownDelete) data.delete = del;
      else delete (data as Partial<CpuDataStorage>).delete;
      if (ownRead) backend.readSync = readSync;
      else delete (backend as Partial<CpuBackend>).readSync;
    };
    this.#wrapped = { backend, data, restore };
  }

  /**
   * Stops tracking and empties the free lists. Buffers still held by live tensors simply stay
   * theirs (they are never recycled after this).
   */
  detach(): void {
    this.#wrapped?.restore();
    this.#wrapped = undefined;
    // Buffers still held by live tensors can never be tracked again: treat them as escaped.
    for (const buffer of this.#holders.keys()) this.#escaped.add(buffer);
    this.#holders.clear();
    this.clear();
  }

  /** Empties the free lists (the memory goes back to the garbage collector). */
  clear(): void {
    this.#free.clear();
    this.#freeBytes = 0;
  }

  /**
   * Whether writes to `values` are invisible to everyone but its one tensor: a whole pool
   * buffer, held by exactly one data-storage entry, whose values never left through `readSync`.
   */
  ownsExclusively(values: Float32Array): boolean {
    const buffer = values.buffer;
    return (
      this.#wrapped !== undefined &&
      this.#born.has(buffer) &&
      this.#holders.get(buffer) === 1 &&
      !this.#escaped.has(buffer) &&
      values.byteOffset === 0 &&
      values.byteLength === buffer.byteLength
    );
  }

  /** Fills every free buffer with `value` (tests: a kernel that reads its output shows up). */
  poison(value: number): void {
    for (const list of this.#free.values()) for (const buffer of list) buffer.fill(value);
  }

  /** Counters since construction. */
  stats(): BufferPoolStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      recycled: this.#recycled,
      escaped: this.#escapes,
      dropped: this.#dropped,
      freeBytes: this.#freeBytes,
      liveBuffers: this.#holders.size,
    };
  }

  #hold(values: unknown): void {
    // Only Float32Arrays can be pool-born. (Short ones still count: a view of a pool buffer,
    // e.g. a small contiguous slice, must keep that buffer alive.)
    if (!(values instanceof Float32Array)) return;
    const buffer = values.buffer;
    if (!this.#born.has(buffer)) return;
    this.#holders.set(buffer, (this.#holders.get(buffer) ?? 0) + 1);
  }

  #release(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const buffer = values.buffer;
    const held = this.#holders.get(buffer);
    if (held === undefined) return;
    if (held > 1) {
      this.#holders.set(buffer, held - 1);
      return;
    }
    this.#holders.delete(buffer);
    if (this.#escaped.has(buffer)) return;
    if (this.#freeBytes + buffer.byteLength > this.maxFreeBytes) {
      this.#dropped++;
      return;
    }
    const array = new Float32Array(buffer);
    let list = this.#free.get(array.length);
    if (list === undefined) {
      list = [];
      this.#free.set(array.length, list);
    }
    list.push(array);
    this.#freeBytes += buffer.byteLength;
    this.#recycled++;
  }

  #escape(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const buffer = values.buffer;
    if (!this.#born.has(buffer) || this.#escaped.has(buffer)) return;
    this.#escaped.add(buffer);
    this.#escapes++;
  }
}
