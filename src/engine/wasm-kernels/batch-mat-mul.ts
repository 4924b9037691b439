/**
 * `BatchMatMul` and `_FusedMatMul` with `transposeA` / `transposeB` for the wasm backend. Its own
 * transposed path is slow (257 ms where an explicit transpose plus a plain product takes 30 ms),
 * and every dense layer's backward pass uses it. The replacement transposes explicitly, then
 * calls the original kernel without transposes. Untransposed calls go straight to the original.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { swapLastTwo, type WasmPrimitives } from "./kernel-utils.js";

/**
 * Builds a kernel function for a matrix-product kernel (`BatchMatMul` or `_FusedMatMul`) that
 * moves transposes out of the product.
 */
export function makeUntransposedMatMul(
  primitives: (backend: BackendWasm) => WasmPrimitives,
  original: tf.KernelConfig,
): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const transposeA = attrs?.transposeA === true;
    const transposeB = attrs?.transposeB === true;
    if (!transposeA && !transposeB) return original.kernelFunc(args);
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const p = primitives(backend as BackendWasm);
    const a2 = transposeA ? p.transpose(a, swapLastTwo(a.shape.length)) : a;
    const b2 = transposeB ? p.transpose(b, swapLastTwo(b.shape.length)) : b;
    try {
      return original.kernelFunc({
        inputs: { ...inputs, a: a2, b: b2 },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (a2 !== a) p.dispose(a2);
      if (b2 !== b) p.dispose(b2);
    }
  };
}
