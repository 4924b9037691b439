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
