/**
 * The stop flags a pool shares with its workers: two 32-bit words, the user's stop flag and the
 * number of the last cancelled `localProcess` call ("generation"). A busy worker reads them at
 * each `stopEvent.isSet()`; a message would only reach it once it is idle again.
 *
 * Threads keep the words in a SharedArrayBuffer (Atomics). Processes keep them in an 8-byte file
 * on tmpfs, read with one `pread` per check (about a microsecond).
 *
 * @module
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import type { StopEvent } from "../stop-event.js";

/** Reads the two control words: `[stopFlag, cancelledGeneration]`. */
export type ControlReader = () => readonly [number, number];

/** Writes the stop flag word. */
export type ControlWriter = (value: number) => void;

/** Where the two words live. */
interface ControlWords {
  read(): readonly [number, number];
  write(index: 0 | 1, value: number): void;
}

/** A parent-side stop event the trainer can listen to and use to cancel a call's jobs. */
export interface PoolStopEvent extends StopEvent {
  /** Calls `listener` each time {@link StopEvent.set} is called in this process. */
  onSet(listener: () => void): () => void;
  /** Makes every job of `generation` and earlier see `isSet() === true`. */
  cancelGeneration(generation: number): void;
  /** Releases the flag's storage (files); idempotent. */
  close(): void;
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

/** The stop event of a thread pool: Atomics on two Int32 words of a SharedArrayBuffer. */
export class ThreadStopEvent extends ControlStopEvent {
  /** The words' storage; worker threads view it too. */
  readonly buffer = new SharedArrayBuffer(8);
  protected readonly words = atomicWords(this.buffer);
}

/**
 * The stop event of a process pool: two words in an 8-byte file every worker opens. Until the
 * pool starts (and after it shuts down) the words live in memory; {@link FileStopEvent.attach}
 * moves them into the file.
 */
export class FileStopEvent extends ControlStopEvent {
  #fd: number | undefined;
  #path: string | undefined;
  readonly #memory = new Int32Array(2);
  protected readonly words: ControlWords = {
    read: () => {
      if (this.#fd !== undefined) readSync(this.#fd, this.#memory, 0, 8, 0);
      return [this.#memory[0] ?? 0, this.#memory[1] ?? 0];
    },
    write: (index, value) => {
      this.#memory[index] = value;
      if (this.#fd !== undefined) writeSync(this.#fd, this.#memory, index * 4, 4, index * 4);
    },
  };

  /** The flag file's path while attached. */
  get path(): string | undefined {
    return this.#path;
  }

  /** Creates the flag file at `path` with the current state; workers open that path. */
  attach(path: string): void {
    this.detach();
    const fd = openSync(path, "w+", 0o600);
    writeSync(fd, this.#memory, 0, 8, 0);
    this.#fd = fd;
    this.#path = path;
  }

  /** Reads the state back into memory and closes the file (which the pool removes). */
  detach(): void {
    if (this.#fd === undefined) return;
    readSync(this.#fd, this.#memory, 0, 8, 0);
    closeSync(this.#fd);
    this.#fd = undefined;
    this.#path = undefined;
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
  readonly #read: ControlReader;
  readonly #write: ControlWriter;
  readonly #generation: number;
  readonly #parentGone: () => boolean;

  /**
   * @param read - Reads the control words.
   * @param write - Writes the stop flag.
   * @param generation - The job's call.
   * @param parentGone - True once the parent process has died.
   */
  constructor(
    read: ControlReader,
    write: ControlWriter,
    generation: number,
    parentGone: () => boolean,
  ) {
    this.#read = read;
    this.#write = write;
    this.#generation = generation;
    this.#parentGone = parentGone;
  }

  isSet(): boolean {
    const [flag, cancelled] = this.#read();
    return flag !== 0 || cancelled >= this.#generation || this.#parentGone();
  }

  /** Raises the shared flag: every worker, and the parent, will see it. */
  set(): void {
    this.#write(1);
  }

  clear(): void {
    this.#write(0);
  }
}

function atomicWords(buffer: SharedArrayBuffer): ControlWords {
  const words = new Int32Array(buffer, 0, 2);
  return {
    read: () => [Atomics.load(words, 0), Atomics.load(words, 1)],
    write: (index, value) => {
      Atomics.store(words, index, value);
      Atomics.notify(words, index);
    },
  };
}

/** Worker-side access to a control file (processes). */
export function openControlFile(path: string): { read: ControlReader; write: ControlWriter } {
  const fd = openSync(path, "r+");
  const words = new Int32Array(2);
  return {
    read: () => {
      readSync(fd, words, 0, 8, 0);
      return [words[0] ?? 0, words[1] ?? 0];
    },
    write: (value) => {
      words[0] = value;
      writeSync(fd, words, 0, 4, 0);
    },
  };
}

/** Worker-side access to control words in a SharedArrayBuffer (threads). */
export function controlWords(buffer: SharedArrayBuffer): {
  read: ControlReader;
  write: ControlWriter;
} {
  const words = atomicWords(buffer);
  return { read: words.read, write: (value) => words.write(0, value) };
}
