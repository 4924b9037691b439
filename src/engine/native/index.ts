/**
 * The native CPU engine: tfjs's `cpu` backend with its hot kernels (matmul, conv and their
 * gradients, max pool, sums, broadcast arithmetic, relu) replaced by an N-API addon over the
 * system OpenBLAS. See `nativeEngineStatus` and `installNativeKernels`.
 *
 * @module
 */
export {
  NATIVE_ABI,
  type NativeAddonInfo,
  type NativeEngineStatus,
  nativeAddonInfo,
  nativeAddonPath,
  nativeEngineStatus,
} from "./addon.js";
export type { BufferPoolStats } from "./buffer-pool.js";
export { copyTensorData } from "./copy-tensor-data.js";
export {
  installNativeKernels,
  type KernelImplementation,
  NATIVE_KERNEL_NAMES,
  type NativeKernelOptions,
  type NativeKernelStats,
  nativeKernelStats,
  nativeKernelsInstalled,
  resetNativeKernelStats,
  setNativeKernelImplementation,
  uninstallNativeKernels,
} from "./install.js";
export type { KernelCallCounts } from "./kernel-context.js";
export { trySgdMomentumUpdateInPlace, trySgdUpdateInPlace } from "./sgd-update.js";
