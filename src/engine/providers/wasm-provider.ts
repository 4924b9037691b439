/**
 * The `"wasm"` engine: tfjs's WebAssembly backend (XNNPACK, SIMD) with BlazeFL's gradient
 * kernels. One engine per worker thread or process: tfjs turns wasm multithreading off in Node.
 *
 * @module
 */

import { createRequire } from "node:module";
import type { EngineDetails, EngineProvider } from "../engine-provider.js";
import { EngineError } from "../errors.js";
import { tf } from "../tfjs.js";
import { registerWasmKernels } from "../wasm-kernels/register-wasm-kernels.js";

let details: Promise<EngineDetails> | undefined;

async function initialise(): Promise<EngineDetails> {
  let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
  try {
    // `require`, as for tfjs itself (see `../tfjs.ts`): an ES import scans its source first.
    wasm = createRequire(import.meta.url)("@tensorflow/tfjs-backend-wasm");
  } catch (cause) {
    throw new EngineError("Could not load @tensorflow/tfjs-backend-wasm", { cause });
  }
  registerWasmKernels();
  let ok: boolean;
  try {
    ok = await tf.setBackend("wasm");
  } catch (cause) {
    throw new EngineError("The tfjs wasm backend failed to initialise", { cause });
  }
  if (!ok) throw new EngineError("The tfjs wasm backend failed to initialise");
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
  return { engine: "wasm", backend: "wasm", simd, threads: wasm.getThreadsCount() };
}

/** The wasm engine provider (always available: the backend is a dependency). */
export const wasmEngineProvider: EngineProvider = {
  isAvailable: async () => true,
  async activate() {
    if (details === undefined) {
      details = initialise();
      details.catch(() => {
        details = undefined;
      });
    }
    const info = await details;
    if (tf.getBackend() !== "wasm") await tf.setBackend("wasm");
    return info;
  },
};
