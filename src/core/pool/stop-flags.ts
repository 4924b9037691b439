/**
 * The stop flags a pool shares with its workers: two 32-bit words, the user's stop flag and the
 * number of the last cancelled `localProcess` call ("generation"). A busy worker reads them at
 * each `stopEvent.isSet()`; a message would only reach it once it is idle again.
 *
 * Threads keep the words in a SharedArrayBuffer (Atomics). Processes keep them in an 8-byte file
 * on tmpfs, read with one `pread` per check (about a microsecond).
 * @module
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import type { StopEvent } from "../stop-event.js";

/** Where the two words live: `read()` gives `[stopFlag, cancelledGeneration]`. */
export interface ControlWords {
  read(): readonly [number, number];
  write(index: 0 | 1, value: number): void;
}

/** A parent-side stop event the trainer can listen to and use to cancel a call's jobs. */
export interface PoolStopEvent extends StopEvent {
  /** Calls `listener` each time `set()` is called in this process, so a call can fail at once. */
  onSet(listener: () => void): () => void;
  /** Makes every job of `generation` and earlier see `isSet() === true`. */
  cancelGeneration(generation: number): void;
  /** Releases the flag's storage (files); idempotent. */
  close(): void;
}

/** The words in a SharedArrayBuffer (threads, and the serial trainer). */
export function atomicWords(buffer: SharedArrayBuffer): ControlWords {
  const words = new Int32Array(buffer, 0, 2);
  return {
    read: () => [Atomics.load(words, 0), Atomics.load(words, 1)],
    write: (index, value) => {
      Atomics.store(words, index, value);
      Atomics.notify(words, index);
    },
  };
}

/** The words in the file `fd()` names, or only in memory while it names none. */
function fileWords(fd: () => number | undefined): ControlWords {
  const words = new Int32Array(2);
  return {
    read: () => {
      const f = fd();
      if (f !== undefined) readSync(f, words, 0, 8, 0);
      return [words[0] ?? 0, words[1] ?? 0];
    },
    write: (index, value) => {
      words[index] = value;
      const f = fd();
      if (f !== undefined) writeSync(f, words, index * 4, 4, index * 4);
    },
  };
}

/** Worker-side access to a control file (processes). */
export function openControlFile(path: string): ControlWords {
  const fd = openSync(path, "r+");
  return fileWords(() => fd);
}

/** The parent side of the words: the flag, the cancelled generation, and listeners of `set()`. */
abstract class ControlStopEvent implements PoolStopEvent {
  readonly #listeners = new Set<() => void>();
  protected abstract readonly words: ControlWords;

  isSet(): boolean {
    return this.words.read()[0] !== 0;
  }

  set(): void {
    this.words.write(0, 1);
    for (const listener of [...this.#listeners]) listener();
  }

  clear(): void {
    this.words.write(0, 0);
  }

  onSet(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  cancelGeneration(generation: number): void {
    this.words.write(1, generation);
  }

  close(): void {
    this.#listeners.clear();
  }
}

/** A thread pool's stop event (the serial trainer's too). */
export class ThreadStopEvent extends ControlStopEvent {
  /** The words' storage; worker threads view it too. */
  readonly buffer = new SharedArrayBuffer(8);
  protected readonly words = atomicWords(this.buffer);
}

/** A process pool's stop event: its words live in a file while the pool runs, else in memory. */
export class FileStopEvent extends ControlStopEvent {
  #file: { readonly fd: number; readonly path: string } | undefined;
  protected readonly words = fileWords(() => this.#file?.fd);

  /** The flag file's path while attached. */
  get path(): string | undefined {
    return this.#file?.path;
  }

  /** Creates the flag file at `path` with the current state; workers open that path. */
  attach(path: string): void {
    this.detach();
    const [flag, cancelled] = this.words.read();
    this.#file = { fd: openSync(path, "w+", 0o600), path };
    this.words.write(0, flag);
    this.words.write(1, cancelled);
  }

  /** Reads the state back into memory and closes the file (which the pool removes). */
  detach(): void {
    if (this.#file === undefined) return;
    this.words.read();
    closeSync(this.#file.fd);
    this.#file = undefined;
  }

  override close(): void {
    super.close();
    this.detach();
  }
}

/**
 * The stop event a worker hands to user code for one job: set when the user's flag is set, when
 * the job's call was cancelled (another client failed), or when the parent is gone.
 */
export class WorkerStopEvent implements StopEvent {
  readonly #words: ControlWords;
  readonly #generation: number;
  readonly #parentGone: () => boolean;

  /** @param generation - The job's call. @param parentGone - True once the parent died. */
  constructor(words: ControlWords, generation: number, parentGone: () => boolean = () => false) {
    this.#words = words;
    this.#generation = generation;
    this.#parentGone = parentGone;
  }

  isSet(): boolean {
    const [flag, cancelled] = this.#words.read();
    return flag !== 0 || cancelled >= this.#generation || this.#parentGone();
  }

  /** Raises the shared flag: every worker, and the parent, will see it. */
  set(): void {
    this.#words.write(0, 1);
  }

  clear(): void {
    this.#words.write(0, 0);
  }
}
