/**
 * The native engine provider: tfjs's `cpu` backend with the N-API OpenBLAS kernels of
 * `src/engine/native` installed. `"cpu"` picks it when the addon is built; `"cpu-native"`
 * forces it.
 *
 * @module
 */

import type { EngineProvider } from "../engine-provider.js";
import { nativeAddonInfo, nativeEngineStatus } from "../native/addon.js";
import { installNativeKernels } from "../native/install.js";
import { tf } from "../tfjs.js";

/** The provider registered as `"native"`. */
export const nativeEngineProvider: EngineProvider = {
  isAvailable: async () => nativeEngineStatus().available,
  async activate() {
    await installNativeKernels();
    // The cpu backend greets its first tensor in Node with advice to install tfjs-node, which
    // does not apply here: this engine replaces it. Mark the greeting as given.
    Reflect.set(tf.backend(), "firstUse", false);
    const info = nativeAddonInfo();
    return { engine: "native", backend: "cpu", simd: info.simd !== "none", threads: 1 };
  },
};
