/**
 * Result memory for a pool trainer. Fresh memory is zeroed and page-faulted by the kernel on
 * first touch, which on large models costs several times the copy that fills it; with reuse on,
 * the buffers one `localProcess` call kept are handed out again by the next call.
 *
 * @module
 */

/** Hands out result buffers, fresh or recycled from the previous call. */
export class BufferArena<B extends ArrayBufferLike> {
  readonly #allocate: (byteLength: number) => B;
  readonly #reuse: boolean;
  #free: B[] = [];
  #kept: B[] = [];

  /**
   * @param allocate - Makes a fresh buffer of exactly `byteLength` bytes.
   * @param reuse - Recycle the buffers kept by the previous call.
   */
  constructor(allocate: (byteLength: number) => B, reuse: boolean) {
    this.#allocate = allocate;
    this.#reuse = reuse;
  }

  /** True when buffers may hold bytes of an earlier result. */
  get reuses(): boolean {
    return this.#reuse;
  }

  /** A buffer of at least `byteLength` bytes: the smallest free one that fits, or a fresh one. */
  acquire(byteLength: number): { buffer: B; recycled: boolean } {
    if (this.#reuse) {
      let best = -1;
      for (let i = 0; i < this.#free.length; i++) {
        const candidate = this.#free[i] as B;
        if (
          candidate.byteLength >= byteLength &&
          (best < 0 || candidate.byteLength < (this.#free[best] as B).byteLength)
        )
          best = i;
      }
      if (best >= 0) {
        const [buffer] = this.#free.splice(best, 1) as [B];
        return { buffer, recycled: true };
      }
    }
    return { buffer: this.#allocate(byteLength), recycled: false };
  }

  /** Marks `buffer` as holding a result of the current call; it is recycled by the next call. */
  keep(buffer: B): void {
    if (this.#reuse) this.#kept.push(buffer);
  }

  /** Starts a new call: every buffer kept so far may be handed out again. */
  recycle(): void {
    if (!this.#reuse) return;
    this.#free.push(...this.#kept);
    this.#kept = [];
  }

  /** Drops every buffer. */
  clear(): void {
    this.#free = [];
    this.#kept = [];
  }
}
