/**
 * A one-bit signal from the parent to its workers, like Python's `threading.Event`.
 * Workers call {@link StopEvent.isSet} between units of work (batches, epochs) and stop early
 * when it is set. Implementations share the bit across threads (Atomics on a SharedArrayBuffer)
 * or processes (a shared file), so it reaches a busy worker, not only an idle one.
 */
export interface StopEvent {
  /** True once {@link StopEvent.set} was called and until {@link StopEvent.clear}. */
  isSet(): boolean;
  /** Raises the flag. */
  set(): void;
  /** Lowers the flag. */
  clear(): void;
}

/** A {@link StopEvent} over one Int32 in a SharedArrayBuffer: shared by worker threads. */
export class AtomicStopEvent implements StopEvent {
  /** The flag's storage; pass it to a worker thread and wrap it there again. */
  readonly buffer: SharedArrayBuffer;
  readonly #flag: Int32Array;

  /** @param buffer - An existing flag buffer (4 bytes or more), or omit to allocate one. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer;
    this.#flag = new Int32Array(buffer, 0, 1);
  }

  isSet(): boolean {
    return Atomics.load(this.#flag, 0) !== 0;
  }

  set(): void {
    Atomics.store(this.#flag, 0, 1);
    Atomics.notify(this.#flag, 0);
  }

  clear(): void {
    Atomics.store(this.#flag, 0, 0);
  }
}
