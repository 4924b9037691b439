/**
 * The `"cpu-reference"` engine: tfjs's pure-JavaScript cpu backend, as shipped. About 20x slower
 * than wasm on an MLP and unusable for convolutions; tests use it as the reference.
 *
 * @module
 */

import type { EngineProvider } from "../engine-provider.js";
import { EngineError } from "../errors.js";
import { nativeKernelsInstalled, uninstallNativeKernels } from "../native/install.js";
import { tf } from "../tfjs.js";

/** The cpu-reference engine provider (always available: it ships with `@tensorflow/tfjs`). */
export const cpuReferenceEngineProvider: EngineProvider = {
  isAvailable: async () => true,
  async activate() {
    // The native engine overrides kernels of the same `cpu` backend: take them out, so the
    // reference stays tfjs's own pure-JS kernels.
    if (nativeKernelsInstalled()) uninstallNativeKernels();
    let ok: boolean;
    try {
      ok = tf.getBackend() === "cpu" || (await tf.setBackend("cpu"));
    } catch (cause) {
      throw new EngineError("The tfjs cpu backend failed to initialise", { cause });
    }
    if (!ok) throw new EngineError("The tfjs cpu backend failed to initialise");
    return { engine: "cpu-reference", backend: "cpu", simd: false, threads: 1 };
  },
};
