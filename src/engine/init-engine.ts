/**
 * {@link initEngine}: sets up the training engine for a device, once per thread or process.
 *
 * @module
 */

import { parseDevice } from "./device.js";
import type { EngineInfo } from "./engine-info.js";
import {
  type EngineProvider,
  getEngineProvider,
  registerEngineProvider,
  resolveCpuEngine,
} from "./engine-provider.js";
import { DeviceError } from "./errors.js";
import { cpuReferenceEngineProvider } from "./providers/cpu-reference-provider.js";
import { cudaEngineProvider } from "./providers/cuda-provider.js";
import { nativeEngineProvider } from "./providers/native-provider.js";
import { wasmEngineProvider } from "./providers/wasm-provider.js";
import { tf } from "./tfjs.js";

let builtinsRegistered = false;
let current: EngineInfo | undefined;

function registerBuiltins(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  // Registered only if absent, so a test or the native module may replace them first.
  if (getEngineProvider("native") === undefined)
    registerEngineProvider("native", nativeEngineProvider);
  if (getEngineProvider("wasm") === undefined) registerEngineProvider("wasm", wasmEngineProvider);
  if (getEngineProvider("cpu-reference") === undefined)
    registerEngineProvider("cpu-reference", cpuReferenceEngineProvider);
  if (getEngineProvider("cuda") === undefined) registerEngineProvider("cuda", cudaEngineProvider);
}

async function pickProvider(
  device: string,
  kind: string,
): Promise<{ name: string; provider: EngineProvider }> {
  if (kind === "cpu") {
    const found = await resolveCpuEngine();
    if (found === undefined) throw new DeviceError(`No CPU engine is available for "${device}"`);
    return found;
  }
  const name = kind === "cpu-wasm" ? "wasm" : kind === "cpu-native" ? "native" : kind;
  const provider = getEngineProvider(name);
  if (provider === undefined)
    throw new DeviceError(
      `Device "${device}" needs the "${name}" engine, which is not registered in this thread`,
    );
  if (name === "native" && !(await provider.isAvailable()))
    throw new DeviceError(`Device "${device}": the native engine is not built on this machine`);
  return { name, provider };
}

/**
 * Sets up the engine for `device` in this thread (or process) and makes it tfjs's current
 * backend. Idempotent: the backend is initialised once per thread; a later call with another
 * device switches the current backend (tensors made before stay on theirs).
 *
 * @param device - See {@link Device}: `"cpu"` (default), `"cpu-wasm"`, `"cpu-native"`,
 *   `"cpu-reference"`, `"cuda"` or `"cuda:N"`.
 * @returns What was set up.
 * @throws OptionsError for a non-string device; DeviceError for an unknown device or a missing
 *   optional package; EngineError when a backend fails to start.
 * @example const info = await initEngine("cpu"); // { engine: "wasm", simd: true, ... }
 */
export async function initEngine(device: string = "cpu"): Promise<EngineInfo> {
  const parsed = parseDevice(device);
  registerBuiltins();
  const { provider } = await pickProvider(device, parsed.kind);
  const details = await provider.activate(parsed);
  current = { device, ...details };
  return current;
}

/**
 * What the last successful {@link initEngine} in this thread set up, or `undefined` before
 * the first one (or when the current backend was changed behind its back).
 */
export function getEngineInfo(): EngineInfo | undefined {
  if (current === undefined) return undefined;
  return tf.getBackend() === current.backend ? current : undefined;
}
