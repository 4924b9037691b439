import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../src/engine/init-engine.js";
import {
  registerWasmKernels,
  unregisterWasmKernels,
  WASM_REPLACED_KERNELS,
  wasmKernelsRegistered,
} from "../../src/engine/wasm-kernels/register-wasm-kernels.js";
import { createRng } from "../../src/reproducibility/rng.js";
import {
  finiteDifferenceError,
  onBothBackends,
  randomValues,
  relativeError,
} from "./kernel-helpers.js";

const TOLERANCE = 1e-5;
const FD_TOLERANCE = 2e-3;

type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  readonly co: number;
  readonly kh: number;
  readonly kw: number;
  readonly strides: [number, number];
  readonly pad: Pad;
  readonly rounding?: "floor" | "round" | "ceil";
}

function outShape(c: ConvCase): [number, number, number, number] | undefined {
  try {
    const info = tf.backend_util.computeConv2DInfo(
      [c.n, c.h, c.w, c.ci],
      [c.kh, c.kw, c.ci, c.co],
      c.strides,
      1,
      c.pad,
      c.rounding,
    );
    return info.outHeight > 0 && info.outWidth > 0 ? info.outShape : undefined;
  } catch {
    return undefined;
  }
}

const FIXED_CASES: ConvCase[] = [
  // The McMahan CNN's layers (the second with fewer channels: the cpu backend's reference
  // kernels are slow).
  { n: 1, h: 28, w: 28, ci: 1, co: 32, kh: 5, kw: 5, strides: [1, 1], pad: "same" },
  { n: 1, h: 14, w: 14, ci: 16, co: 32, kh: 5, kw: 5, strides: [1, 1], pad: "same" },
  { n: 2, h: 9, w: 9, ci: 3, co: 4, kh: 3, kw: 3, strides: [2, 2], pad: "same" },
  { n: 2, h: 10, w: 11, ci: 3, co: 4, kh: 5, kw: 5, strides: [2, 2], pad: "valid" },
  { n: 3, h: 12, w: 12, ci: 2, co: 5, kh: 5, kw: 5, strides: [3, 3], pad: "valid" },
  { n: 1, h: 7, w: 9, ci: 2, co: 3, kh: 3, kw: 2, strides: [1, 2], pad: "same" },
  { n: 2, h: 8, w: 8, ci: 3, co: 2, kh: 3, kw: 3, strides: [2, 2], pad: 1 },
  { n: 2, h: 8, w: 7, ci: 3, co: 2, kh: 3, kw: 3, strides: [2, 2], pad: 1, rounding: "ceil" },
  {
    n: 1,
    h: 7,
    w: 7,
    ci: 2,
    co: 3,
    kh: 3,
    kw: 3,
    strides: [1, 1],
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  { n: 2, h: 6, w: 6, ci: 4, co: 3, kh: 1, kw: 1, strides: [1, 1], pad: "valid" },
  { n: 2, h: 6, w: 6, ci: 4, co: 3, kh: 1, kw: 1, strides: [2, 2], pad: "valid" },
];

function randomCases(count: number): ConvCase[] {
  const rng = createRng(2024);
  const pads: Pad[] = ["same", "valid", 0, 1, 2];
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const c: ConvCase = {
      n: rng.int(1, 3),
      h: rng.int(3, 12),
      w: rng.int(3, 12),
      ci: rng.int(1, 6),
      co: rng.int(1, 6),
      kh: rng.int(1, 5),
      kw: rng.int(1, 5),
      strides: [rng.int(1, 3), rng.int(1, 3)],
      pad: rng.choice(pads),
    };
    // tfjs-core computes the output width of a numeric pad from the filter *height*, so a
    // numeric pad with a non-square filter is broken in tfjs itself (and overruns memory in
    // the wasm forward Conv2D): leave those out.
    if (typeof c.pad === "number" && c.kh !== c.kw) continue;
    if (outShape(c) !== undefined) cases.push(c);
  }
  return cases;
}

function describeCase(c: ConvCase): string {
  return `x [${c.n},${c.h},${c.w},${c.ci}] filter [${c.kh},${c.kw},${c.ci},${c.co}] strides ${c.strides} pad ${JSON.stringify(c.pad)}${c.rounding ? ` ${c.rounding}` : ""}`;
}

before(async () => {
  await initEngine("cpu-wasm");
});

describe("wasm kernel registration", () => {
  it("replaces the listed kernels, keeping the originals' setup functions", () => {
    assert.ok(wasmKernelsRegistered());
    for (const name of WASM_REPLACED_KERNELS) assert.ok(tf.getKernel(name, "wasm"), name);
    assert.equal(typeof tf.getKernel("BatchMatMul", "wasm")?.setupFunc, "function");
    registerWasmKernels(); // idempotent
    assert.ok(wasmKernelsRegistered());
  });

  it("can restore the shipped kernels (Conv2DBackpropFilter is missing from them)", () => {
    unregisterWasmKernels();
    try {
      assert.equal(wasmKernelsRegistered(), false);
      assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
      assert.ok(tf.getKernel("BatchMatMul", "wasm"), "the original BatchMatMul is back");
      const product = tf.tidy(() =>
        tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync(),
      );
      assert.deepEqual([...product], [11]);
    } finally {
      registerWasmKernels();
    }
    assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"));
  });
});

describe("Conv2DBackpropFilter and Conv2DBackpropInput on wasm", () => {
  const cases = [...FIXED_CASES, ...randomCases(30)];

  it("match the cpu backend on fixed and random shapes, strides and paddings", async () => {
    const rng = createRng(7);
    for (const c of cases) {
      const ys = outShape(c) as [number, number, number, number];
      const x = randomValues(rng, c.n * c.h * c.w * c.ci);
      const f = randomValues(rng, c.kh * c.kw * c.ci * c.co);
      const dy = randomValues(
        rng,
        ys.reduce((a, b) => a * b, 1),
      );
      const attrs = {
        strides: c.strides,
        pad: c.pad,
        dataFormat: "NHWC",
        ...(c.rounding ? { dimRoundingMode: c.rounding } : {}),
      };
      const filterGrad = await onBothBackends(() =>
        tf
          .engine()
          .runKernel<tf.Tensor>(
            "Conv2DBackpropFilter",
            { x: tf.tensor4d(x, [c.n, c.h, c.w, c.ci]), dy: tf.tensor4d(dy, ys) },
            { ...attrs, filterShape: [c.kh, c.kw, c.ci, c.co] },
          ),
      );
      assert.ok(
        relativeError(filterGrad.wasm, filterGrad.reference) < TOLERANCE,
        `filter: ${describeCase(c)}`,
      );
      const inputGrad = await onBothBackends(() =>
        tf
          .engine()
          .runKernel<tf.Tensor>(
            "Conv2DBackpropInput",
            { dy: tf.tensor4d(dy, ys), filter: tf.tensor4d(f, [c.kh, c.kw, c.ci, c.co]) },
            { ...attrs, inputShape: [c.n, c.h, c.w, c.ci] },
          ),
      );
      assert.deepEqual(inputGrad.shape, [c.n, c.h, c.w, c.ci]);
      assert.ok(
        relativeError(inputGrad.wasm, inputGrad.reference) < TOLERANCE,
        `input: ${describeCase(c)}`,
      );
    }
  });

  it("give tf.grad of conv2d that agrees with finite differences", () => {
    const rng = createRng(8);
    for (const c of [...FIXED_CASES.slice(2), ...cases.slice(-8)]) {
      if (c.rounding !== undefined) continue; // tf.conv2d's gradient passes no rounding mode
      const ys = outShape(c) as [number, number, number, number];
      const xShape = [c.n, c.h, c.w, c.ci];
      const fShape = [c.kh, c.kw, c.ci, c.co];
      const x = randomValues(rng, c.n * c.h * c.w * c.ci);
      const f = randomValues(rng, c.kh * c.kw * c.ci * c.co);
      const weights = tf.tensor(
        randomValues(
          rng,
          ys.reduce((a, b) => a * b, 1),
        ),
        ys,
      );
      // The loss is linear in each argument, so central differences are exact up to rounding.
      const lossOfFilter = (v: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.conv2d(tf.tensor4d(x, xShape as never), v as tf.Tensor4D, c.strides, c.pad),
            weights,
          ),
        ) as tf.Scalar;
      const lossOfInput = (v: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.conv2d(v as tf.Tensor4D, tf.tensor4d(f, fShape as never), c.strides, c.pad),
            weights,
          ),
        ) as tf.Scalar;
      const gf = tf
        .tidy(() => tf.grad(lossOfFilter)(tf.tensor(f, fShape)).dataSync() as Float32Array)
        .slice();
      const gx = tf
        .tidy(() => tf.grad(lossOfInput)(tf.tensor(x, xShape)).dataSync() as Float32Array)
        .slice();
      const coordsF = Array.from({ length: 6 }, () => rng.int(0, f.length - 1));
      const coordsX = Array.from({ length: 6 }, () => rng.int(0, x.length - 1));
      assert.ok(
        finiteDifferenceError(lossOfFilter, f, fShape, gf, coordsF, 0.5) < FD_TOLERANCE,
        `filter: ${describeCase(c)}`,
      );
      assert.ok(
        finiteDifferenceError(lossOfInput, x, xShape, gx, coordsX, 0.5) < FD_TOLERANCE,
        `input: ${describeCase(c)}`,
      );
      weights.dispose();
    }
  });
});

describe("BatchMatMul and _FusedMatMul with transposes on wasm", () => {
  it("match the cpu backend for every transpose combination, with batch broadcasting", async () => {
    const rng = createRng(9);
    for (let trial = 0; trial < 12; trial++) {
      const [m, k, n] = [rng.int(1, 9), rng.int(1, 9), rng.int(1, 9)];
      const batch = trial < 6 ? [] : [rng.int(1, 3)];
      const bBatch = trial % 3 === 2 ? batch.map(() => 1) : batch;
      for (const transposeA of [false, true])
        for (const transposeB of [false, true]) {
          const aShape = [...batch, ...(transposeA ? [k, m] : [m, k])];
          const bShape = [...bBatch, ...(transposeB ? [n, k] : [k, n])];
          const a = randomValues(
            rng,
            aShape.reduce((p, q) => p * q, 1),
          );
          const b = randomValues(
            rng,
            bShape.reduce((p, q) => p * q, 1),
          );
          const r = await onBothBackends(() =>
            tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB),
          );
          assert.ok(
            relativeError(r.wasm, r.reference) < TOLERANCE,
            `${aShape} x ${bShape} tA=${transposeA} tB=${transposeB}`,
          );
          if (batch.length === 0) {
            const bias = randomValues(rng, n);
            const fused = await onBothBackends(() =>
              tf.fused.matMul({
                a: tf.tensor2d(a, aShape as [number, number]),
                b: tf.tensor2d(b, bShape as [number, number]),
                transposeA,
                transposeB,
                bias: tf.tensor1d(bias),
                activation: "relu",
              }),
            );
            assert.ok(
              relativeError(fused.wasm, fused.reference) < TOLERANCE,
              `fused ${aShape} x ${bShape}`,
            );
          }
        }
    }
  });

  it("give tf.grad of matMul that agrees with finite differences", () => {
    const rng = createRng(10);
    const a = randomValues(rng, 5 * 7);
    const b = randomValues(rng, 7 * 4);
    const weights = tf.tensor2d(randomValues(rng, 5 * 4), [5, 4]);
    const lossOfA = (v: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(v as tf.Tensor2D, tf.tensor2d(b, [7, 4])), weights)) as tf.Scalar;
    const lossOfB = (v: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(tf.tensor2d(a, [5, 7]), v as tf.Tensor2D), weights)) as tf.Scalar;
    const ga = tf
      .tidy(
        () =>
          tf
            .grad(lossOfA)(tf.tensor2d(a, [5, 7]))
            .dataSync() as Float32Array,
      )
      .slice();
    const gb = tf
      .tidy(
        () =>
          tf
            .grad(lossOfB)(tf.tensor2d(b, [7, 4]))
            .dataSync() as Float32Array,
      )
      .slice();
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    assert.ok(finiteDifferenceError(lossOfA, a, [5, 7], ga, all(35), 0.5) < FD_TOLERANCE);
    assert.ok(finiteDifferenceError(lossOfB, b, [7, 4], gb, all(28), 0.5) < FD_TOLERANCE);
    weights.dispose();
  });
});

describe("MaxPoolGrad on wasm", () => {
  const configs: {
    shape: [number, number, number, number];
    size: number;
    stride: number;
    pad: "same" | "valid";
  }[] = [
    { shape: [2, 8, 8, 3], size: 2, stride: 2, pad: "valid" },
    { shape: [2, 7, 9, 3], size: 2, stride: 2, pad: "valid" },
    { shape: [2, 7, 7, 2], size: 3, stride: 2, pad: "same" },
    { shape: [1, 9, 8, 4], size: 3, stride: 1, pad: "valid" },
    { shape: [2, 6, 6, 2], size: 2, stride: 2, pad: "same" },
  ];

  it("matches the cpu backend, including ties and overlapping windows", async () => {
    const rng = createRng(11);
    for (const c of configs)
      for (const ties of [false, true]) {
        const size = c.shape.reduce((a, b) => a * b, 1);
        // With ties (relu-like data, many zeros), the first maximum must win, as on the cpu backend.
        const x = randomValues(rng, size).map((v) =>
          ties ? Math.max(0, Math.round(v * 2) / 2) : v,
        );
        const dyShape = tf.tidy(
          () => tf.maxPool(tf.tensor4d(x, c.shape), c.size, c.stride, c.pad).shape,
        );
        const dy = randomValues(
          rng,
          dyShape.reduce((a, b) => a * b, 1),
        );
        const r = await onBothBackends(() => {
          const input = tf.tensor4d(x, c.shape);
          const output = tf.maxPool(input, c.size, c.stride, c.pad);
          return tf
            .engine()
            .runKernel<tf.Tensor>(
              "MaxPoolGrad",
              { dy: tf.tensor(dy, dyShape), input, output },
              { filterSize: c.size, strides: c.stride, pad: c.pad },
            );
        });
        assert.ok(
          relativeError(r.wasm, r.reference) < TOLERANCE,
          `${JSON.stringify(c)} ties=${ties}`,
        );
      }
  });

  it("gives tf.grad of maxPool that agrees with finite differences", () => {
    const rng = createRng(12);
    const shape: [number, number, number, number] = [2, 6, 6, 3];
    const x = randomValues(rng, 2 * 6 * 6 * 3);
    const weights = tf.tensor4d(randomValues(rng, 2 * 3 * 3 * 3), [2, 3, 3, 3]);
    const loss = (v: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, 2, 2, "valid"), weights)) as tf.Scalar;
    const g = tf
      .tidy(() => tf.grad(loss)(tf.tensor4d(x, shape)).dataSync() as Float32Array)
      .slice();
    const coords = Array.from({ length: x.length }, (_, i) => i);
    // A small step stays inside each window's argmax region (random data has no near-ties).
    assert.ok(finiteDifferenceError(loss, x, shape, g, coords, 1e-3) < FD_TOLERANCE);
    weights.dispose();
  });
});

describe("Sum on wasm", () => {
  it("matches the cpu backend over leading axes and falls back for others", async () => {
    const rng = createRng(13);
    const shape = [3, 4, 5, 6];
    const x = randomValues(rng, 360);
    const axesList: (number | number[])[] = [
      0,
      [0, 1],
      [0, 1, 2],
      [1, 0],
      [-4, -3],
      [1],
      [2, 3],
      [0, 2],
      [3],
      [0, 1, 2, 3],
    ];
    for (const axes of axesList)
      for (const keepDims of [false, true]) {
        const r = await onBothBackends(() => tf.sum(tf.tensor(x, shape), axes, keepDims));
        const expectedShape = tf.tidy(() => tf.sum(tf.zeros(shape), axes, keepDims).shape);
        assert.deepEqual(r.shape, expectedShape);
        assert.ok(
          relativeError(r.wasm, r.reference) < TOLERANCE,
          `axes ${JSON.stringify(axes)} keepDims ${keepDims}`,
        );
      }
    const ints = await onBothBackends(() =>
      tf.cast(
        tf.sum(
          tf.tensor(
            [
              [1, 2],
              [3, 4],
            ],
            [2, 2],
            "int32",
          ),
          0,
        ),
        "float32",
      ),
    );
    assert.deepEqual([...ints.wasm], [4, 6]);
  });
});

describe("UnsortedSegmentSum on wasm", () => {
  it("matches the cpu backend, dropping out-of-range ids, and gives an embedding its gradient", async () => {
    const rng = createRng(31);
    const values = randomValues(rng, 7 * 3);
    const ids = [4, 0, 4, 2, -1, 9, 0];
    const { wasm, reference, shape } = await onBothBackends(() =>
      tf.unsortedSegmentSum(tf.tensor(values, [7, 3]), tf.tensor1d(ids, "int32"), 5),
    );
    assert.deepEqual(shape, [5, 3]);
    assert.ok(relativeError(wasm, reference) <= TOLERANCE);
    const table = randomValues(rng, 6 * 2);
    const grad = await onBothBackends(() =>
      tf.grad((t: tf.Tensor) =>
        tf.sum(tf.square(tf.gather(t, tf.tensor1d([1, 5, 1, 0], "int32")))),
      )(tf.tensor(table, [6, 2])),
    );
    assert.ok(relativeError(grad.wasm, grad.reference) <= TOLERANCE);
  });
});

describe("the wasm kernels", () => {
  it("leak no memory", () => {
    const before = tf.memory().numTensors;
    const bytesBefore = (tf.memory() as { numBytesInWASM?: number }).numBytesInWASM;
    for (let i = 0; i < 3; i++)
      tf.tidy(() => {
        const x = tf.ones([2, 8, 8, 3]) as tf.Tensor4D;
        const f = tf.ones([3, 3, 3, 4]) as tf.Tensor4D;
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")),
        )([x, f]);
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true)),
        )([tf.ones([4, 3]), tf.ones([5, 4])]);
        tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, "valid")))(x);
        tf.sum(x, [0, 1, 2]);
      });
    assert.equal(tf.memory().numTensors, before);
    assert.equal((tf.memory() as { numBytesInWASM?: number }).numBytesInWASM, bytesBefore);
  });
});
