/**
 * The `"cuda"` engine: `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA), an optional
 * dependency loaded only when a `cuda` device is asked for.
 *
 * tfjs-node-gpu cannot pick a GPU itself: `cuda:N` sets `CUDA_VISIBLE_DEVICES` to the N-th
 * visible GPU before the package is first loaded in this process, so use one process per GPU
 * (a process pool); every thread of a process shares its GPU.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { ParsedDevice } from "../device.js";
import type { EngineDetails, EngineProvider } from "../engine-provider.js";
import { DeviceError } from "../errors.js";
import { tf } from "../tfjs.js";

/** The optional package the cuda engine needs. */
export const CUDA_PACKAGE = "@tensorflow/tfjs-node-gpu";

let loaded: { readonly index: number; readonly details: Promise<EngineDetails> } | undefined;

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/** The `CUDA_VISIBLE_DEVICES` value that makes the index-th visible GPU the only one. */
function visibleDevicesFor(index: number): string {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible === undefined || visible.trim() === "") return String(index);
  const list = visible.split(",").map((s) => s.trim());
  const chosen = list[index];
  if (chosen === undefined)
    throw new DeviceError(
      `Device "cuda:${index}" does not exist: CUDA_VISIBLE_DEVICES=${visible} makes ${list.length} GPU(s) visible`,
    );
  return chosen;
}

function isInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(CUDA_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

async function load(index: number): Promise<EngineDetails> {
  if (!isInstalled())
    throw new DeviceError(
      `Device "cuda:${index}" needs the optional package ${CUDA_PACKAGE}, which is not installed (npm install ${CUDA_PACKAGE})`,
    );
  const before = process.env.CUDA_VISIBLE_DEVICES;
  process.env.CUDA_VISIBLE_DEVICES = visibleDevicesFor(index);
  // A variable specifier keeps TypeScript from resolving the optional package at build time.
  const specifier: string = CUDA_PACKAGE;
  try {
    await import(specifier);
  } catch (cause) {
    if (before === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
    else process.env.CUDA_VISIBLE_DEVICES = before;
    if (isModuleNotFound(cause))
      throw new DeviceError(
        `Device "cuda:${index}" needs the optional package ${CUDA_PACKAGE}, which is not installed (npm install ${CUDA_PACKAGE})`,
        { cause },
      );
    throw new DeviceError(`${CUDA_PACKAGE} failed to load for device "cuda:${index}"`, { cause });
  }
  if (!(await tf.setBackend("tensorflow")))
    throw new DeviceError(`${CUDA_PACKAGE} loaded but its 'tensorflow' backend did not start`);
  return { engine: "cuda", backend: "tensorflow", simd: true, threads: 1 };
}

/** The cuda engine provider. */
export const cudaEngineProvider: EngineProvider = {
  isAvailable: async () => isInstalled(),
  async activate(device: ParsedDevice) {
    const index = device.kind === "cuda" ? device.index : 0;
    if (loaded === undefined) {
      const details = load(index);
      loaded = { index, details };
      details.catch(() => {
        loaded = undefined;
      });
    } else if (loaded.index !== index)
      throw new DeviceError(
        `This process already runs on "cuda:${loaded.index}"; "cuda:${index}" needs its own process`,
      );
    const info = await loaded.details;
    if (tf.getBackend() !== "tensorflow") await tf.setBackend("tensorflow");
    return info;
  },
};
