/**
 * {@link EngineInfo}: what {@link initEngine} set up.
 *
 * @module
 */

/** A description of the engine that runs this thread's (or process's) tensors. */
export interface EngineInfo {
  /** The device string it was initialised for, e.g. `"cpu"` or `"cuda:0"`. */
  readonly device: string;
  /** The engine provider's name, e.g. `"wasm"`, `"cpu-reference"`, `"native"` or `"cuda"`. */
  readonly engine: string;
  /** The tfjs backend name, e.g. `"wasm"`, `"cpu"` or `"tensorflow"`. */
  readonly backend: string;
  /** Whether the backend runs SIMD code (wasm SIMD, or native vector code). */
  readonly simd: boolean;
  /** The number of threads one engine uses for one kernel (1 for wasm under Node). */
  readonly threads: number;
}
