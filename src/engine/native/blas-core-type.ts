/**
 * Which OpenBLAS kernels the native engine uses, chosen from the CPU's instruction sets rather
 * than from OpenBLAS's table of CPU models.
 *
 * OpenBLAS (Debian's 0.3.21) picks its kernels by CPU model, and a model newer than its table
 * gets the oldest x86-64 kernels (`Prescott`, SSE3). On an Intel Xeon of family 6, model 207
 * (AVX-512, AMX), a fmnist-cnn serial round took 6.6-7.2 s with them against 4.6-5.2 s with
 * `SkylakeX` (alternating runs), and they gave other floats than the AVX-512 machine the golden
 * models were taken on (a product's summation order is its kernel's); with `SkylakeX` the golden
 * models come out bit for bit. Naming the kernels by instruction set makes machines with the same
 * instruction sets train the same floats, and none fall back to SSE3. An `OPENBLAS_CORETYPE`
 * already set is left as it is.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/**
 * The `OPENBLAS_CORETYPE` for a CPU with these `/proc/cpuinfo` flags: `SkylakeX` with AVX-512
 * (F, BW, DQ, VL: what those kernels use), `Haswell` with AVX2 and FMA, otherwise `undefined`
 * (OpenBLAS chooses).
 */
export function blasCoreTypeFor(flags: ReadonlySet<string>): string | undefined {
  if (["avx512f", "avx512bw", "avx512dq", "avx512vl"].every((f) => flags.has(f))) return "SkylakeX";
  if (flags.has("avx2") && flags.has("fma")) return "Haswell";
  return undefined;
}

/** The CPU's flags from `/proc/cpuinfo`, or `undefined` where there is none (not Linux). */
export function cpuFlags(cpuinfo?: string): ReadonlySet<string> | undefined {
  let text = cpuinfo;
  if (text === undefined)
    try {
      text = readFileSync("/proc/cpuinfo", "latin1");
    } catch {
      return undefined;
    }
  const line = /^flags\s*:(.*)$/m.exec(text);
  return line === null ? undefined : new Set((line[1] as string).trim().split(/\s+/));
}

/**
 * Sets `OPENBLAS_CORETYPE` from the CPU's instruction sets unless it is set already. OpenBLAS
 * reads it once, when the addon loads it, in each process: child processes inherit the value.
 * @returns The value OpenBLAS will read, or `undefined` when it chooses by itself.
 */
export function pinBlasCoreType(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OPENBLAS_CORETYPE !== undefined && env.OPENBLAS_CORETYPE !== "")
    return env.OPENBLAS_CORETYPE;
  if (process.arch !== "x64") return undefined;
  const flags = cpuFlags();
  const core = flags === undefined ? undefined : blasCoreTypeFor(flags);
  if (core !== undefined) env.OPENBLAS_CORETYPE = core;
  return core;
}
