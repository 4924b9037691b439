/**
 * Device strings. `parseDevice` is pure: it checks the string and says what it asks for, without
 * loading any backend.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { DeviceError } from "./errors.js";

/**
 * The devices BlazeFL.ts accepts:
 * - `"cpu"`: the fastest CPU engine available (today the tfjs wasm backend with SIMD and
 *   BlazeFL's gradient kernels; a native engine first once one is registered, see
 *   {@link registerEngineProvider});
 * - `"cpu-wasm"`: the wasm engine, even when a native one exists;
 * - `"cpu-native"`: the native engine; a {@link DeviceError} when none is registered;
 * - `"cpu-reference"`: tfjs's pure-JS cpu backend (slow; a reference for tests);
 * - `"cuda"` / `"cuda:N"`: `@tensorflow/tfjs-node-gpu`, an optional dependency.
 */
export type Device =
  | "cpu"
  | "cpu-wasm"
  | "cpu-native"
  | "cpu-reference"
  | "cuda"
  | `cuda:${number}`;

/** What a device string asks for. */
export type ParsedDevice =
  | { readonly kind: "cpu" | "cpu-wasm" | "cpu-native" | "cpu-reference" }
  | { readonly kind: "cuda"; readonly index: number };

const CUDA_PATTERN = /^cuda(?::(0|[1-9][0-9]{0,3}))?$/;
const CPU_KINDS = ["cpu", "cpu-wasm", "cpu-native", "cpu-reference"] as const;

/** The accepted forms, for error messages. */
export const DEVICE_FORMS = '"cpu", "cpu-wasm", "cpu-native", "cpu-reference", "cuda" or "cuda:N"';

/**
 * Checks a device string and says what it asks for.
 * @throws OptionsError when `device` is not a string; DeviceError when it names no device.
 * @example parseDevice("cuda:1") // { kind: "cuda", index: 1 }
 */
export function parseDevice(device: unknown): ParsedDevice {
  if (typeof device !== "string") throw new OptionsError("device", device, DEVICE_FORMS);
  for (const kind of CPU_KINDS) if (device === kind) return { kind };
  const match = CUDA_PATTERN.exec(device);
  if (match !== null) return { kind: "cuda", index: match[1] === undefined ? 0 : Number(match[1]) };
  throw new DeviceError(`Unknown device ${JSON.stringify(device)}: expected ${DEVICE_FORMS}`);
}
