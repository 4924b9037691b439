/**
 * The engine seam: an {@link EngineProvider} sets up one tfjs backend (and its kernels) in the
 * current thread. Providers are registered by name; `initEngine` picks one from the device.
 *
 * `"cpu"` takes the first available provider in {@link CPU_ENGINE_PREFERENCE}: `"native"`, then
 * `"wasm"`. The native engine (`src/engine/native/`, built separately) plugs in by calling
 * `registerEngineProvider("native", provider)` before `initEngine("cpu")`; nothing else changes.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { ParsedDevice } from "./device.js";
import type { EngineInfo } from "./engine-info.js";

/** What a provider reports once active; `initEngine` adds the device string. */
export type EngineDetails = Omit<EngineInfo, "device">;

/** Sets up one engine (a tfjs backend plus kernels) in the current thread or process. */
export interface EngineProvider {
  /**
   * Whether the engine can run here (an addon is built, a package is installed). Cheap, and it
   * never throws: it resolves to false instead.
   */
  isAvailable(): Promise<boolean>;
  /**
   * Initialises the engine and makes its backend tfjs's current one. Called by `initEngine`;
   * it must be idempotent (later calls only switch the backend back) and throw a
   * `DeviceError` or `EngineError` when it cannot run.
   * @param device - The parsed device it was chosen for (e.g. the GPU index for `cuda:N`).
   */
  activate(device: ParsedDevice): Promise<EngineDetails>;
}

/**
 * The providers `"cpu"` tries, in order. The first one registered and available wins.
 * `"native"` is the OpenBLAS engine, registered by its own module when it is built.
 */
export const CPU_ENGINE_PREFERENCE: readonly string[] = ["native", "wasm"];

const providers = new Map<string, EngineProvider>();

/**
 * Registers (or replaces) the provider called `name` in this thread. Built-in names: `"wasm"`,
 * `"cpu-reference"`, `"cuda"`; `"native"` is reserved for the native CPU engine.
 */
export function registerEngineProvider(name: string, provider: EngineProvider): void {
  if (typeof name !== "string" || !/^[a-z][a-z0-9-]*$/.test(name))
    throw new OptionsError("name", name, "a lower-case provider name such as 'native'");
  if (
    provider === null ||
    typeof provider !== "object" ||
    typeof provider.isAvailable !== "function" ||
    typeof provider.activate !== "function"
  )
    throw new OptionsError("provider", provider, "an EngineProvider (isAvailable and activate)");
  providers.set(name, provider);
}

/** The provider registered as `name` in this thread, if any. */
export function getEngineProvider(name: string): EngineProvider | undefined {
  return providers.get(name);
}

/** The names of the providers registered in this thread. */
export function engineProviderNames(): string[] {
  return [...providers.keys()];
}

/**
 * The provider that `"cpu"` uses here: the first of {@link CPU_ENGINE_PREFERENCE} that is
 * registered and available, with its name; `undefined` when none is.
 */
export async function resolveCpuEngine(): Promise<
  { readonly name: string; readonly provider: EngineProvider } | undefined
> {
  for (const name of CPU_ENGINE_PREFERENCE) {
    const provider = providers.get(name);
    if (provider !== undefined && (await provider.isAvailable())) return { name, provider };
  }
  return undefined;
}
