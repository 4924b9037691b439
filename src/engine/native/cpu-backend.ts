/**
 * The few internals of tfjs's `cpu` backend (`@tensorflow/tfjs-backend-cpu` 4.22) that the native
 * kernels touch, typed narrowly: its data storage (dataId -> values) and `makeTensorInfo`.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { EngineError } from "../errors.js";

/** One entry of the cpu backend's data storage. */
export interface CpuTensorData {
  /** The values: a TypedArray for numeric dtypes. */
  values?: unknown;
  /** The dtype the values hold. */
  dtype: string;
  /** How many tensors share this entry. */
  refCount: number;
}

/** The cpu backend's `DataStorage` (a WeakMap keyed by dataId). */
export interface CpuDataStorage {
  get(dataId: object): CpuTensorData;
  has(dataId: object): boolean;
  set(dataId: object, value: CpuTensorData): void;
  delete(dataId: object): boolean;
}

/** The parts of `MathBackendCPU` the native kernels use. */
export interface CpuBackend {
  data: CpuDataStorage;
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  disposeIntermediateTensorInfo(tensorInfo: tf.TensorInfo): void;
  refCount(dataId: object): number;
}

/** Whether `backend` looks like tfjs's cpu backend (duck-typed: the class is not exported). */
export function isCpuBackend(backend: unknown): backend is CpuBackend {
  if (backend === null || typeof backend !== "object") return false;
  const b = backend as Record<string, unknown>;
  const data = b.data as Record<string, unknown> | undefined;
  return (
    typeof b.readSync === "function" &&
    typeof b.makeTensorInfo === "function" &&
    typeof b.disposeIntermediateTensorInfo === "function" &&
    typeof b.refCount === "function" &&
    data !== undefined &&
    data !== null &&
    typeof data.get === "function" &&
    typeof data.set === "function" &&
    typeof data.delete === "function" &&
    typeof data.has === "function"
  );
}

/**
 * The cpu backend a kernel was called with.
 * @throws EngineError when it is not the cpu backend (a kernel registered for the wrong backend).
 */
export function asCpuBackend(backend: unknown): CpuBackend {
  if (!isCpuBackend(backend))
    throw new EngineError("native kernel called with a backend that is not tfjs's cpu backend");
  return backend;
}

/** The Float32Array behind a float32 tensor, or null when it is not one (other dtype, complex). */
export function float32Values(backend: CpuBackend, t: tf.TensorInfo): Float32Array | null {
  if (t.dtype !== "float32") return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}
