/**
 * {@link ClientStateStore}: per-client float32 vectors that persist across rounds (SCAFFOLD's
 * c_k, FedDyn's g_k, Ditto's personal model), owned by the parent, outside every worker, so any
 * worker may train any client and the result does not depend on which one did.
 *
 * **Where the bytes live.** One file of fixed-size slots, on disk by default (not tmpfs): RAM
 * holds only the slot table, and the kernel's page cache holds what was touched recently, so
 * 10,000 clients × 200,000 parameters (8 GB of state) need no 8 GB of RAM. Workers read a
 * client's state straight from the file at its slot (`pread`); the new state comes back in the
 * client's shared result buffer and the parent writes it to a fresh slot.
 *
 * **Crash safety.** A round never overwrites a slot that the last committed table points to:
 * new states go to free slots, and {@link ClientStateStore.commit} switches the table once the
 * round is done. A checkpoint saves the committed table ({@link ClientStateStore.captureTable}),
 * so a run interrupted mid-round resumes with exactly the states of its last checkpoint.
 * Only clients that have trained hold a slot.
 * @module
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OptionsError } from "../core/errors.js";
import { assertPositiveInteger } from "../core/validate.js";

/** Where a client's state is, as a worker reads it. */
export interface StateLocation {
  /** The store's file. */
  readonly path: string;
  /** The byte offset of the client's slot. */
  readonly offset: number;
}

/** The committed slot table, for checkpoints: `[cid, slot]` pairs sorted by cid. */
export interface StateTable {
  /** The float32 values per client. */
  readonly length: number;
  /** `[cid, slot]` pairs, sorted by cid. */
  readonly slots: readonly (readonly [number, number])[];
}

/** Options of {@link ClientStateStore}. */
export interface ClientStateStoreOptions {
  /** The float32 values per client (> 0). */
  readonly length: number;
  /**
   * The file to keep states in; it survives the process when given (a run's `--out`
   * checkpoint directory), and is removed by {@link ClientStateStore.close} when not.
   * @default a new file in a private directory under `os.tmpdir()`
   */
  readonly file?: string;
}

/** Reads `out.length` float32 values of a client's state from `location`. */
export function readStateInto(fd: number, offset: number, out: Float32Array): void {
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, bytes.length - done, offset + done);
    if (n === 0)
      throw new OptionsError("state", offset, "a slot inside the state file (it is truncated)");
    done += n;
  }
}

/** A file of per-client float32 state slots; see the module documentation. */
export class ClientStateStore {
  /** The float32 values per client. */
  readonly length: number;
  /** The store's file. */
  readonly path: string;
  readonly #slotBytes: number;
  readonly #ownDir: string | undefined;
  #fd: number | undefined;
  #committed = new Map<number, number>();
  #pending = new Map<number, number>();
  #free: number[] = [];
  #slotCount = 0;

  /** @param options - See {@link ClientStateStoreOptions}. */
  constructor(options: ClientStateStoreOptions) {
    assertPositiveInteger("length", options.length);
    this.length = options.length;
    this.#slotBytes = options.length * 4;
    if (options.file !== undefined) {
      this.path = options.file;
      this.#ownDir = undefined;
    } else {
      this.#ownDir = mkdtempSync(join(tmpdir(), "blazefl-state-"));
      this.path = join(this.#ownDir, "client-state.bin");
    }
    this.#fd = openSync(this.path, "a+");
    closeSync(this.#fd);
    this.#fd = openSync(this.path, "r+", 0o600);
    this.#slotCount = Math.floor(fstatSync(this.#fd).size / this.#slotBytes);
    this.#free = Array.from({ length: this.#slotCount }, (_, i) => this.#slotCount - 1 - i);
  }

  /** The number of clients that hold a committed state. */
  get size(): number {
    return this.#committed.size;
  }

  /** The bytes the file takes (slots ever allocated × slot size). */
  get fileBytes(): number {
    return this.#slotCount * this.#slotBytes;
  }

  /** Where client `cid`'s committed state is, or `undefined` before its first round. */
  locate(cid: number): StateLocation | undefined {
    const slot = this.#committed.get(cid);
    return slot === undefined ? undefined : { path: this.path, offset: slot * this.#slotBytes };
  }

  /** Reads client `cid`'s committed state into `out` (zero-filled when it has none). */
  read(cid: number, out: Float32Array): void {
    if (out.length !== this.length)
      throw new OptionsError("out.length", out.length, `${this.length}`);
    const slot = this.#committed.get(cid);
    if (slot === undefined) out.fill(0);
    else readStateInto(this.#openFd(), slot * this.#slotBytes, out);
  }

  /**
   * Stores client `cid`'s new state for the round in progress, in a slot the committed table does
   * not use; it becomes visible to {@link ClientStateStore.locate} at {@link ClientStateStore.commit}.
   */
  write(cid: number, state: Float32Array): void {
    if (state.length !== this.length)
      throw new OptionsError("state.length", state.length, `${this.length}`);
    const fd = this.#openFd();
    let slot = this.#pending.get(cid);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#slotCount++;
      this.#pending.set(cid, slot);
    }
    const bytes = new Uint8Array(state.buffer, state.byteOffset, state.byteLength);
    let done = 0;
    const offset = slot * this.#slotBytes;
    while (done < bytes.length)
      done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
  }

  /** Makes the round's writes the committed states, and frees the slots they replace. */
  commit(): void {
    for (const [cid, slot] of this.#pending) {
      const old = this.#committed.get(cid);
      this.#committed.set(cid, slot);
      if (old !== undefined) this.#free.push(old);
    }
    this.#pending.clear();
  }

  /** Drops the round's uncommitted writes (an interrupted round). */
  discard(): void {
    for (const slot of this.#pending.values()) this.#free.push(slot);
    this.#pending.clear();
  }

  /** The committed table, for a checkpoint. */
  captureTable(): StateTable {
    return {
      length: this.length,
      slots: [...this.#committed].sort((a, b) => a[0] - b[0]),
    };
  }

  /** Restores a checkpoint's table: slots it does not name become free. */
  restoreTable(table: StateTable): void {
    if (table.length !== this.length)
      throw new OptionsError("state table length", table.length, `${this.length}`);
    this.#pending.clear();
    this.#committed = new Map();
    const used = new Set<number>();
    for (const [cid, slot] of table.slots) {
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.#slotCount || used.has(slot))
        throw new OptionsError(
          "state table slot",
          slot,
          `a distinct slot below ${this.#slotCount}`,
        );
      used.add(slot);
      this.#committed.set(cid, slot);
    }
    this.#free = [];
    for (let s = this.#slotCount - 1; s >= 0; s--) if (!used.has(s)) this.#free.push(s);
  }

  /** Makes the writes so far durable (before a checkpoint names them). */
  flush(): void {
    fsyncSync(this.#openFd());
  }

  /** Shrinks the file to the slots in use at the end (nothing else moves). */
  compact(): void {
    let last = -1;
    for (const slot of this.#committed.values()) last = Math.max(last, slot);
    for (const slot of this.#pending.values()) last = Math.max(last, slot);
    if (last + 1 < this.#slotCount) {
      this.#slotCount = last + 1;
      ftruncateSync(this.#openFd(), this.#slotCount * this.#slotBytes);
      this.#free = this.#free.filter((s) => s < this.#slotCount);
    }
  }

  /** Closes the file; removes it when the store made it. Idempotent. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#ownDir !== undefined) rmSync(this.#ownDir, { recursive: true, force: true });
  }

  #openFd(): number {
    if (this.#fd === undefined)
      throw new OptionsError("ClientStateStore", "closed", "an open store");
    return this.#fd;
  }
}
