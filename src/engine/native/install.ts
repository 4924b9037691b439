/**
 * Installing the native kernels: tfjs's `cpu` backend stays the backend, and its hot kernels are
 * re-registered with native implementations that keep the stock kernel as their fallback.
 *
 * @module
 */

import type { KernelConfig, KernelFunc } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { EngineError } from "../errors.js";
import { tf } from "../tfjs.js";
import { loadNativeAddon } from "./addon.js";
import { BufferPool, type BufferPoolStats } from "./buffer-pool.js";
import { CONV_KERNELS } from "./conv-kernels.js";
import { type CpuBackend, isCpuBackend } from "./cpu-backend.js";
import { ELEMENTWISE_KERNELS } from "./elementwise-kernels.js";
import type {
  KernelCallCounts,
  NativeKernelContext,
  NativeKernelDefinition,
} from "./kernel-context.js";
import { LAYOUT_KERNELS } from "./layout-kernels.js";
import { MATMUL_KERNELS } from "./matmul-kernels.js";
import { installNormGrads } from "./norm-grads.js";
import { NORM_KERNELS } from "./norm-kernels.js";
import { POOL_KERNELS } from "./pool-kernels.js";
import { installReluGrad, type Restore } from "./relu-grad.js";

/** Options of {@link installNativeKernels}. */
export interface NativeKernelOptions {
  /**
   * Reuse the output buffers of disposed tensors for new native outputs instead of allocating
   * zero-filled ones. Buffers whose values were read out (`dataSync()`, `data()`, ...) are
   * never reused. Only honoured by the first install in a thread.
   * @default true
   */
  readonly bufferReuse?: boolean;
  /**
   * The most bytes of free buffers kept for reuse (per thread). Only honoured by the first
   * install in a thread.
   * @default 268435456 (256 MiB)
   */
  readonly maxPoolBytes?: number;
  /**
   * Target size in bytes of the conv kernels' im2col chunks (process-wide), at least 4096.
   * @default 1048576 (1 MiB)
   */
  readonly convChunkBytes?: number;
  /**
   * Which conv and matmul kernels run (process-wide): `"auto"` picks this project's direct
   * AVX-512 kernels when the CPU has AVX-512F and OpenBLAS otherwise; `"avx2"` forces the direct
   * AVX2 + FMA kernels; `"blas"` forces im2col + OpenBLAS. Forcing an instruction set this CPU
   * lacks is an OptionsError.
   * @default "auto"
   */
  readonly kernelImplementation?: KernelImplementation;
}

/** The conv and matmul implementations of the addon. */
export type KernelImplementation = "auto" | "blas" | "avx2" | "avx512";

const KERNEL_IMPLEMENTATIONS: readonly string[] = ["auto", "blas", "avx2", "avx512"];

/** Every override, in registration order. */
export const NATIVE_KERNELS: readonly NativeKernelDefinition[] = [
  ...MATMUL_KERNELS,
  ...CONV_KERNELS,
  ...POOL_KERNELS,
  ...ELEMENTWISE_KERNELS,
  ...LAYOUT_KERNELS,
  ...NORM_KERNELS,
];

/** The names of the kernels the native engine overrides. */
export const NATIVE_KERNEL_NAMES: readonly string[] = NATIVE_KERNELS.map((k) => k.kernelName);

const DEFAULT_MAX_POOL_BYTES = 256 * 1024 * 1024;

interface Installation {
  readonly context: NativeKernelContext;
  readonly withBackend: NativeKernelContext & { readonly backend: CpuBackend };
  readonly backend: CpuBackend;
  readonly originals: Map<string, KernelConfig>;
  readonly overrides: Map<string, KernelFunc>;
  /** Restores the gradients the installation wrapped (Relu, FusedBatchNorm, Mean). */
  readonly restoreReluGrad: Restore;
}

let installation: Installation | undefined;
const counts = new Map<string, KernelCallCounts>();

function countsFor(name: string): KernelCallCounts {
  let c = counts.get(name);
  if (c === undefined) {
    c = { native: 0, fallback: 0 };
    counts.set(name, c);
  }
  return c;
}

function validateOptions(options: NativeKernelOptions): void {
  if (options === null || typeof options !== "object")
    throw new OptionsError("options", options, "an object");
  const { bufferReuse, maxPoolBytes, convChunkBytes, kernelImplementation } = options;
  if (kernelImplementation !== undefined && !KERNEL_IMPLEMENTATIONS.includes(kernelImplementation))
    throw new OptionsError(
      "kernelImplementation",
      kernelImplementation,
      '"auto", "blas", "avx2" or "avx512"',
    );
  if (bufferReuse !== undefined && typeof bufferReuse !== "boolean")
    throw new OptionsError("bufferReuse", bufferReuse, "a boolean");
  if (maxPoolBytes !== undefined && (!Number.isSafeInteger(maxPoolBytes) || maxPoolBytes < 0))
    throw new OptionsError("maxPoolBytes", maxPoolBytes, "a non-negative integer");
  if (
    convChunkBytes !== undefined &&
    (!Number.isSafeInteger(convChunkBytes) || convChunkBytes < 4096)
  )
    throw new OptionsError("convChunkBytes", convChunkBytes, "an integer >= 4096");
}

function makeKernelFunc(
  definition: NativeKernelDefinition,
  original: KernelFunc,
  context: NativeKernelContext,
): KernelFunc {
  const c = countsFor(definition.kernelName);
  const { attempt } = definition;
  let knownBackend: unknown;
  return (args) => {
    const backend = args.backend;
    if (backend === knownBackend || isCpuBackend(backend)) {
      knownBackend = backend;
      const out = attempt(args, backend as CpuBackend, context);
      if (out !== null) {
        c.native++;
        return out;
      }
    }
    c.fallback++;
    return original(args);
  };
}

/** Whether every override is still the registered cpu kernel. */
function stillRegistered(current: Installation): boolean {
  for (const [name, func] of current.overrides)
    if (tf.getKernel(name, "cpu")?.kernelFunc !== func) return false;
  return true;
}

/**
 * Makes tfjs's `cpu` backend the current backend and replaces its hot kernels with the native
 * ones (see {@link NATIVE_KERNEL_NAMES}). Each keeps the stock kernel as the fallback for every
 * case it does not handle (other dtypes, NCHW, other activations, exotic broadcasts). The Relu,
 * FusedBatchNorm and Mean gradients run as one fused kernel each on this backend (the original
 * elsewhere).
 * Idempotent: later calls only switch the backend back to `cpu`.
 *
 * @throws DeviceError when the addon is not available (see `nativeEngineStatus`).
 * @throws OptionsError on a bad option.
 * @throws EngineError when tfjs's cpu backend cannot be set.
 */
export async function installNativeKernels(options: NativeKernelOptions = {}): Promise<void> {
  validateOptions(options);
  const addon = loadNativeAddon();
  if (options.convChunkBytes !== undefined) addon.setConvChunkBytes(options.convChunkBytes);
  if (options.kernelImplementation !== undefined)
    setNativeKernelImplementation(options.kernelImplementation);
  if (!(await tf.setBackend("cpu")))
    throw new EngineError("tfjs's cpu backend could not be initialised");
  const backend = tf.findBackend("cpu");
  if (!isCpuBackend(backend))
    throw new EngineError("the registered 'cpu' backend is not tfjs's cpu backend");
  if (
    installation !== undefined &&
    installation.backend === backend &&
    stillRegistered(installation)
  )
    return;
  if (installation !== undefined) uninstallNativeKernels();

  const reuse = options.bufferReuse ?? true;
  const pool = new BufferPool(reuse ? (options.maxPoolBytes ?? DEFAULT_MAX_POOL_BYTES) : 0);
  if (reuse) pool.attach(backend);
  const context: NativeKernelContext = { addon, pool };
  const originals = new Map<string, KernelConfig>();
  const overrides = new Map<string, KernelFunc>();
  for (const definition of NATIVE_KERNELS) {
    const config = tf.getKernel(definition.kernelName, "cpu");
    if (config === undefined) continue; // a tfjs without this kernel: nothing to override
    const kernelFunc = makeKernelFunc(definition, config.kernelFunc, context);
    tf.unregisterKernel(definition.kernelName, "cpu");
    tf.registerKernel({ ...config, kernelFunc });
    originals.set(definition.kernelName, config);
    overrides.set(definition.kernelName, kernelFunc);
  }
  const restoreRelu = installReluGrad(backend, context);
  const restoreNorm = installNormGrads(backend, context);
  const restoreReluGrad: Restore = () => {
    restoreNorm();
    restoreRelu();
  };
  installation = {
    context,
    withBackend: { ...context, backend },
    backend,
    originals,
    overrides,
    restoreReluGrad,
  };
}

/**
 * Puts the stock cpu kernels back and stops buffer reuse. The backend stays `cpu`. A no-op when
 * nothing is installed.
 */
export function uninstallNativeKernels(): void {
  const current = installation;
  if (current === undefined) return;
  for (const [name, config] of current.originals) {
    if (tf.getKernel(name, "cpu") !== undefined) tf.unregisterKernel(name, "cpu");
    tf.registerKernel(config);
  }
  current.restoreReluGrad();
  current.context.pool.detach();
  installation = undefined;
}

/**
 * Chooses the conv and matmul kernels (process-wide; see
 * {@link NativeKernelOptions.kernelImplementation})
 * and returns the one now in use (`"auto"` resolves to what the CPU supports).
 * @throws OptionsError for an unknown name or an instruction set this CPU or build lacks.
 * @throws DeviceError when the addon is not available.
 */
export function setNativeKernelImplementation(name: KernelImplementation): string {
  if (!KERNEL_IMPLEMENTATIONS.includes(name))
    throw new OptionsError("kernelImplementation", name, '"auto", "blas", "avx2" or "avx512"');
  const addon = loadNativeAddon();
  if (!addon.setKernelImplementation(name))
    throw new OptionsError(
      "kernelImplementation",
      name,
      "an implementation this CPU supports (see nativeEngineStatus().info.simd)",
    );
  return addon.info().kernelImpl;
}

/** Whether the native kernels are installed in this thread. */
export function nativeKernelsInstalled(): boolean {
  return installation !== undefined && stillRegistered(installation);
}

/** Counters of the native engine in this thread. */
export interface NativeKernelStats {
  /** Per overridden kernel: calls served natively and calls that fell back. */
  readonly kernels: Readonly<Record<string, Readonly<KernelCallCounts>>>;
  /** The output-buffer pool's counters (absent when nothing is installed). */
  readonly pool?: BufferPoolStats;
}

/** The call counters since the last {@link resetNativeKernelStats}. */
export function nativeKernelStats(): NativeKernelStats {
  const kernels: Record<string, KernelCallCounts> = {};
  for (const [name, c] of counts) kernels[name] = { native: c.native, fallback: c.fallback };
  const pool = installation?.context.pool.stats();
  return pool === undefined ? { kernels } : { kernels, pool };
}

/** Zeroes the per-kernel call counters. */
export function resetNativeKernelStats(): void {
  for (const c of counts.values()) {
    c.native = 0;
    c.fallback = 0;
  }
}

/**
 * The installation's context (addon, pool), for the in-place optimizer update and for tests;
 * undefined when nothing is installed.
 * @internal
 */
export function nativeKernelContext():
  | (NativeKernelContext & { readonly backend: CpuBackend })
  | undefined {
  return installation?.withBackend;
}
