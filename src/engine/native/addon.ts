/**
 * Loading the native addon (`native/build/blazefl_native.node`, built by
 * `scripts/build-native.mjs` when the package installs) and reporting whether it is usable.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { DeviceError } from "../errors.js";
import { pinBlasCoreType } from "./blas-core-type.js";

/** The JS <-> C++ calling convention this module speaks; the addon reports its own. */
export const NATIVE_ABI = 5;

/** What the addon says about itself. */
export interface NativeAddonInfo {
  /** Its calling-convention version; must equal {@link NATIVE_ABI}. */
  readonly abi: number;
  /** The core OpenBLAS picked at run time, e.g. `"SkylakeX"` or `"Haswell"`. */
  readonly blasCore: string;
  /** The instruction set its own loops picked at run time, e.g. `"avx2"`. */
  readonly simd: string;
  /** Bytes of im2col scratch the conv kernels aim for per chunk. */
  readonly convChunkBytes: number;
  /**
   * The conv and matmul implementation in use: `"avx512"` or `"avx2"` (this project's direct
   * kernels) or `"blas"` (im2col + OpenBLAS everywhere). The direct kernels hand the shapes they
   * do not take (large matmuls, strided input gradients) to OpenBLAS.
   */
  readonly kernelImpl: string;
  /** Conv and matmul calls the direct kernels served so far in this process. */
  readonly directCalls: number;
}

/**
 * The functions the addon exports. Every tensor is a dense row-major Float32Array (NHWC images);
 * outputs are written completely, so they may be handed in uninitialised. The addon checks every
 * length against the geometry and throws a RangeError rather than touch memory out of bounds.
 */
export interface NativeAddon {
  /** `out[b] = op(a[b]) op(b[b]) (+ bias) (relu when activation is 1)`; stride 0 broadcasts. */
  matMul(
    transA: boolean,
    transB: boolean,
    batch: number,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    strideA: number,
    b: Float32Array,
    strideB: number,
    out: Float32Array,
    bias: Float32Array | null,
    activation: number,
  ): void;
  /** Conv forward. `geometry`: see {@link convGeometry} in conv-geometry.ts. */
  conv2d(
    geometry: Int32Array,
    x: Float32Array,
    filter: Float32Array,
    out: Float32Array,
    bias: Float32Array | null,
    activation: number,
  ): void;
  /** Conv gradient with respect to the input. */
  conv2dBackpropInput(
    geometry: Int32Array,
    dy: Float32Array,
    filter: Float32Array,
    out: Float32Array,
  ): void;
  /** Conv gradient with respect to the filter. */
  conv2dBackpropFilter(
    geometry: Int32Array,
    x: Float32Array,
    dy: Float32Array,
    out: Float32Array,
  ): void;
  /** Max pool forward; `geometry` has 12 entries. */
  maxPool(geometry: Int32Array, x: Float32Array, out: Float32Array): void;
  /** Max pool gradient (to the first maximum of each window). */
  maxPoolGrad(geometry: Int32Array, dy: Float32Array, x: Float32Array, out: Float32Array): void;
  /**
   * `out = a (op) b` over a rank-4 broadcast; geometry = shape[4], aStrides[4], bStrides[4].
   * op: 0 add, 1 sub, 2 mul, 3 div, 4 relu gradient (`a * step(b)`).
   */
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    geometry: Int32Array,
  ): void;
  /** `out = op(x)`: 0 relu, 1 step(alpha). */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** `out[o, i] = sum over m of x[o, m, i]`, accumulated in double. */
  reduceSum(x: Float32Array, out: Float32Array, outer: number, mid: number, inner: number): void;
  /**
   * `sum[i] = sum[i] + w * x[i]` in float64 (the product, then the sum: JavaScript's roundings);
   * false when `x` holds NaN or an infinity (the sum is then spoilt). `sum` has at least
   * `x.length` elements.
   */
  weightedAccumulate(sum: Float64Array, x: Float32Array, w: number): boolean;
  /** Whether `x` holds no NaN and no infinity. */
  allFinite(x: Float32Array): boolean;
  /** `out[i] = sum[i] / d` in float64, stored as float32; `sum` has at least `out.length` elements. */
  divideToFloat(out: Float32Array, sum: Float64Array, d: number): void;
  /** In place: `w -= lr * g`. */
  sgdUpdate(w: Float32Array, g: Float32Array, lr: number): void;
  /**
   * SGD in place, with `SgdOptimizer`'s roundings: `g' = g + w * decay`; with a buffer,
   * `buf = buf * momentum + g'` and `g' = buf`; then `w -= g' * lr`.
   */
  /** Channels-last batch norm: `out = offset + (x - mean) * factor` per channel (offset may be null). */
  channelAffine(
    x: Float32Array,
    mean: Float32Array,
    factor: Float32Array,
    offset: Float32Array | null,
    out: Float32Array,
  ): void;
  /** Per channel, in float64: `s1 = sum(dy)`, `s2 = sum(dy * (x - mean))`. */
  channelSums(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    s1: Float64Array,
    s2: Float64Array,
  ): void;
  /** `out = dy * factor` per channel (channels last). */
  channelScale(dy: Float32Array, factor: Float32Array, out: Float32Array): void;
  /** `out[o, m, i] = dy[o, i] * scale`. */
  broadcastMiddle(
    dy: Float32Array,
    out: Float32Array,
    outer: number,
    mid: number,
    inner: number,
    scale: number,
  ): void;
  sgdMomentumUpdate(
    w: Float32Array,
    g: Float32Array,
    buf: Float32Array | null,
    lr: number,
    momentum: number,
    decay: number,
  ): void;
  /** Sets the conv chunk target in bytes (process-wide). */
  setConvChunkBytes(bytes: number): void;
  /**
   * Forces the conv and matmul implementation (process-wide): `"auto"`, `"blas"`, `"avx2"` or
   * `"avx512"`. Returns false, changing nothing, when this CPU or build lacks it.
   */
  setKernelImplementation(name: string): boolean;
  /** Sets OpenBLAS's thread count (process-wide; the addon starts at 1). */
  setBlasThreads(threads: number): void;
  /** What the addon says about itself. */
  info(): NativeAddonInfo;
}

/** Whether the native engine can run in this process, and if not, why. */
export interface NativeEngineStatus {
  /** True when the addon loaded and speaks {@link NATIVE_ABI}. */
  readonly available: boolean;
  /** Why it is not available, in one sentence; absent when it is. */
  readonly reason?: string;
  /** The addon file that was tried. */
  readonly path?: string;
  /** What the addon says about itself, when it loaded. */
  readonly info?: NativeAddonInfo;
}

const ADDON_FUNCTIONS = [
  "matMul",
  "conv2d",
  "conv2dBackpropInput",
  "conv2dBackpropFilter",
  "maxPool",
  "maxPoolGrad",
  "binary",
  "unary",
  "reduceSum",
  "weightedAccumulate",
  "allFinite",
  "divideToFloat",
  "sgdUpdate",
  "sgdMomentumUpdate",
  "channelAffine",
  "channelSums",
  "channelScale",
  "broadcastMiddle",
  "setConvChunkBytes",
  "setKernelImplementation",
  "setBlasThreads",
  "info",
] as const;

let loaded: { readonly status: NativeEngineStatus; readonly addon?: NativeAddon } | undefined;

/**
 * The addon's path: `$BLAZEFL_NATIVE_ADDON` when set, else `native/build/blazefl_native.node`
 * at the package root (three levels above this file in both `src/` and `dist/`).
 */
export function nativeAddonPath(): string {
  const override = process.env.BLAZEFL_NATIVE_ADDON;
  if (override !== undefined && override !== "") return override;
  return fileURLToPath(new URL("../../../native/build/blazefl_native.node", import.meta.url));
}

function isAddon(value: unknown): value is NativeAddon {
  if (value === null || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  return ADDON_FUNCTIONS.every((name) => typeof record[name] === "function");
}

function load(): { readonly status: NativeEngineStatus; readonly addon?: NativeAddon } {
  const path = nativeAddonPath();
  if (process.env.BLAZEFL_NATIVE === "0")
    return { status: { available: false, reason: "disabled by BLAZEFL_NATIVE=0", path } };
  if (!existsSync(path))
    return {
      status: {
        available: false,
        reason:
          "the addon is not built (needs a C++ compiler and libopenblas-dev; run `node scripts/build-native.mjs`)",
        path,
      },
    };
  let module: unknown;
  try {
    // OpenBLAS reads this when it loads: no idle thread pool (the addon also pins it to 1).
    if (process.env.OPENBLAS_NUM_THREADS === undefined) process.env.OPENBLAS_NUM_THREADS = "1";
    pinBlasCoreType();
    module = createRequire(import.meta.url)(path);
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { status: { available: false, reason: `the addon failed to load: ${message}`, path } };
  }
  if (!isAddon(module))
    return { status: { available: false, reason: "the addon lacks expected functions", path } };
  const info = module.info();
  if (info.abi !== NATIVE_ABI)
    return {
      status: {
        available: false,
        reason: `the addon is stale (ABI ${info.abi}, expected ${NATIVE_ABI}); rebuild it with \`node scripts/build-native.mjs --force\``,
        path,
      },
    };
  return { status: { available: true, path, info }, addon: module };
}

/**
 * Whether the native CPU engine can run here. It loads the addon on first call (once per thread)
 * and never throws: a missing or broken addon gives `available: false` and a `reason`.
 */
export function nativeEngineStatus(): NativeEngineStatus {
  loaded ??= load();
  return loaded.status;
}

/**
 * The loaded addon.
 * @throws DeviceError when it is not available, with the reason.
 */
export function loadNativeAddon(): NativeAddon {
  loaded ??= load();
  if (loaded.addon === undefined)
    throw new DeviceError(
      `The native CPU engine is not available: ${loaded.status.reason ?? "unknown reason"}. Use the "cpu-wasm" device instead.`,
    );
  return loaded.addon;
}

/**
 * What the addon says about itself now (the implementation in use, direct-kernel calls).
 * @throws DeviceError when it is not available.
 */
export function nativeAddonInfo(): NativeAddonInfo {
  return loadNativeAddon().info();
}
