/**
 * Per-kernel timing for the benchmark: wraps every kernel registered for a backend with a timer.
 * Benchmark-only: it adds a timer call around each kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Milliseconds and calls per kernel name. */
export type KernelProfile = Map<string, { ms: number; calls: number }>;

/** Wraps every kernel of `backendName` (call after the kernels are final) and returns the table. */
export function profileKernels(backendName: string): KernelProfile {
  const table: KernelProfile = new Map();
  for (const config of tf.getKernelsForBackend(backendName)) {
    const inner = config.kernelFunc;
    const entry = { ms: 0, calls: 0 };
    table.set(config.kernelName, entry);
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const start = performance.now();
        const out = inner(args);
        entry.ms += performance.now() - start;
        entry.calls++;
        return out;
      },
    });
  }
  return table;
}

/** Zeroes a profile table. */
export function resetProfile(table: KernelProfile): void {
  for (const entry of table.values()) {
    entry.ms = 0;
    entry.calls = 0;
  }
}

/** The top kernels by time, per step. */
export function summarizeProfile(
  table: KernelProfile,
  steps: number,
  top = 16,
): {
  kernelMsPerStep: number;
  kernels: { name: string; msPerStep: number; callsPerStep: number }[];
} {
  const rows = [...table.entries()]
    .filter(([, e]) => e.calls > 0)
    .map(([name, e]) => ({
      name,
      msPerStep: +(e.ms / steps).toFixed(3),
      callsPerStep: +(e.calls / steps).toFixed(1),
    }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
  const total = rows.reduce((s, r) => s + r.msPerStep, 0);
  return { kernelMsPerStep: +total.toFixed(3), kernels: rows.slice(0, top) };
}
