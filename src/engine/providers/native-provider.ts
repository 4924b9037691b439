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

/** The provider registered as `"native"`. */
export const nativeEngineProvider: EngineProvider = {
  isAvailable: async () => nativeEngineStatus().available,
  async activate() {
    await installNativeKernels();
    const info = nativeAddonInfo();
    return { engine: "native", backend: "cpu", simd: info.simd !== "none", threads: 1 };
  },
};
