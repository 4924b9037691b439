/**
 * Result buffers, recycled across `localProcess` calls under `reuseResultBuffers` (which says why).
 * @module
 */

/** Hands out result buffers, fresh or kept by the previous call. */
export class BufferArena<B extends ArrayBufferLike> {
  /** True when buffers may hold bytes of an earlier result (which must then be zeroed). */
  readonly reuses: boolean;
  readonly #allocate: (byteLength: number) => B;
  #free: B[] = [];
  #kept: B[] = [];

  /** @param allocate - Makes a fresh buffer of exactly `byteLength` bytes. @param reuse - Recycle kept buffers. */
  constructor(allocate: (byteLength: number) => B, reuse: boolean) {
    this.#allocate = allocate;
    this.reuses = reuse;
  }

  /** A buffer of at least `byteLength` bytes: the smallest free one that fits, or a fresh one. */
  acquire(byteLength: number): { buffer: B; recycled: boolean } {
    let best: B | undefined;
    for (const b of this.#free)
      if (b.byteLength >= byteLength && (best === undefined || b.byteLength < best.byteLength))
        best = b;
    if (best === undefined) return { buffer: this.#allocate(byteLength), recycled: false };
    this.#free.splice(this.#free.indexOf(best), 1);
    return { buffer: best, recycled: true };
  }

  /** Marks `buffer` as holding a result of the current call; the next call may hand it out. */
  keep(buffer: B): void {
    if (this.reuses) this.#kept.push(buffer);
  }

  /** Starts a new call: every buffer kept so far may be handed out again. */
  recycle(): void {
    this.#free.push(...this.#kept);
    this.#kept = [];
  }

  /** Drops every buffer. */
  clear(): void {
    this.#free = [];
    this.#kept = [];
  }
}
