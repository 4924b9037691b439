/**
 * Every native kernel against tfjs's stock cpu kernel, on seeded random shapes that cover
 * transposes and batch broadcasts (matmul), strides, 'same'/'valid'/explicit padding and
 * dilations (conv), overlapping and padded windows (max pool), axis runs (sum) and the
 * broadcasts the models use (binary ops). Relative error <= 1e-5, and the native path must
 * have run (no silent fallback).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  installNativeKernels,
  type KernelImplementation,
  nativeAddonInfo,
  nativeKernelStats,
  nativeKernelsInstalled,
  resetNativeKernelStats,
  setNativeKernelImplementation,
  uninstallNativeKernels,
} from "../../../src/engine/native/index.js";
import { createRng, type Rng } from "../../../src/reproducibility/index.js";
import {
  assertClose,
  assertNative,
  randn,
  requireNativeAddon,
  runNative,
  runStock,
  stockVersusNative,
} from "./helpers.js";

const TOLERANCE = 1e-5;

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length - 1)]!;
}

type Pad =
  | "same"
  | "valid"
  | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  readonly x: [number, number, number, number];
  readonly f: [number, number, number, number];
  readonly stride: number | [number, number];
  readonly pad: Pad;
  readonly dilation: number;
}

function label(c: ConvCase): string {
  return `x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} s${JSON.stringify(c.stride)} ${JSON.stringify(c.pad)} d${c.dilation}`;
}

/** Seeded conv cases plus the fixed ones the models and the edge cases need. */
function convCases(): ConvCase[] {
  const cases: ConvCase[] = [
    { x: [2, 28, 28, 1], f: [5, 5, 1, 8], stride: 1, pad: "same", dilation: 1 },
    { x: [2, 14, 14, 8], f: [5, 5, 8, 16], stride: 1, pad: "same", dilation: 1 },
    { x: [2, 8, 8, 5], f: [1, 1, 5, 6], stride: 1, pad: "valid", dilation: 1 },
    { x: [2, 8, 8, 5], f: [1, 1, 5, 6], stride: 2, pad: "same", dilation: 1 },
    { x: [1, 9, 11, 3], f: [3, 2, 3, 4], stride: [2, 3], pad: "valid", dilation: 1 },
    { x: [2, 7, 7, 4], f: [4, 4, 4, 3], stride: 2, pad: "same", dilation: 1 },
    { x: [1, 12, 12, 2], f: [3, 3, 2, 3], stride: 1, pad: "same", dilation: 2 },
    {
      x: [1, 10, 9, 2],
      f: [3, 3, 2, 3],
      stride: 2,
      pad: [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 0],
      ],
      dilation: 1,
    },
  ];
  const rng = createRng(2024);
  while (cases.length < 20) {
    const k = [rng.int(1, 5), rng.int(1, 5)] as const;
    const dilation = rng.int(0, 3) === 0 ? 2 : 1;
    const stride = dilation > 1 ? 1 : pick(rng, [1, 2, 3]);
    const pad = pick<Pad>(rng, [
      "same",
      "valid",
      [
        [0, 0],
        [rng.int(0, 2), rng.int(0, 2)],
        [rng.int(0, 2), rng.int(0, 2)],
        [0, 0],
      ],
    ]);
    const effH = (k[0] - 1) * dilation + 1;
    const effW = (k[1] - 1) * dilation + 1;
    const x: [number, number, number, number] = [
      rng.int(1, 3),
      rng.int(effH, 13),
      rng.int(effW, 13),
      rng.int(1, 6),
    ];
    cases.push({ x, f: [k[0], k[1], x[3], rng.int(1, 9)], stride, pad, dilation });
  }
  return cases;
}

before(() => requireNativeAddon());

/** Every implementation this CPU can run (resolved once the addon is known to load). */
let IMPLEMENTATIONS: KernelImplementation[] = [];
before(() => {
  IMPLEMENTATIONS = kernelImplementations();
});

/** Computes the stock result once, then compares every implementation with it. */
async function check(
  name: string,
  kernels: string[],
  expectDirect: boolean,
  fn: () => tf.Tensor[],
): Promise<void> {
  const stock = await runStock(fn);
  for (const impl of IMPLEMENTATIONS) {
    setNativeKernelImplementation(impl);
    const directBefore = nativeAddonInfo().directCalls;
    const { native, calls } = await runNative(fn);
    assertClose(stock, native, `${name} (${impl})`, TOLERANCE);
    for (const kernel of kernels) assertNative(calls, kernel, `${name} (${impl})`);
    if (expectDirect && impl !== "blas")
      assert.ok(nativeAddonInfo().directCalls > directBefore, `${name} (${impl}): not direct`);
  }
  setNativeKernelImplementation("auto");
}

describe("native matmul", () => {
  const rng = createRng(11);
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [32, 784], b: [784, 200], ta: false, tb: false },
    { a: [32, 200], b: [10, 200], ta: false, tb: true },
    { a: [200, 32], b: [200, 10], ta: true, tb: false },
    { a: [5, 3], b: [4, 5], ta: true, tb: true },
    { a: [3, 4, 5], b: [3, 5, 6], ta: false, tb: false },
    { a: [2, 3, 4, 5], b: [5, 6], ta: false, tb: false },
    { a: [4, 5], b: [2, 3, 5, 6], ta: false, tb: false },
    { a: [2, 5, 4], b: [1, 6, 5], ta: true, tb: true },
    { a: [1, 7], b: [7, 1], ta: false, tb: false },
    // The shapes of small-batch training, which the direct kernels take.
    { a: [32, 3136], b: [3136, 72], ta: false, tb: false },
    { a: [32, 72], b: [700, 72], ta: false, tb: true },
    { a: [32, 700], b: [32, 72], ta: true, tb: false },
    { a: [3, 17, 33], b: [3, 33, 5], ta: false, tb: false },
  ];
  for (let i = 0; i < 8; i++) {
    const [m, k, n] = [rng.int(1, 40), rng.int(1, 40), rng.int(1, 40)];
    const ta = rng.int(0, 1) === 1;
    const tb = rng.int(0, 1) === 1;
    cases.push({ a: ta ? [k, m] : [m, k], b: tb ? [n, k] : [k, n], ta, tb });
  }
  for (const c of cases) {
    const name = `BatchMatMul a${JSON.stringify(c.a)} b${JSON.stringify(c.b)} tA=${c.ta} tB=${c.tb}`;
    test(name, () =>
      check(name, ["BatchMatMul"], false, () => {
        const r = createRng(5);
        return [tf.matMul(randn(r, c.a), randn(r, c.b), c.ta, c.tb)];
      }),
    );
  }
  for (const activation of ["linear", "relu"] as const) {
    for (const biasShape of [[20], [1, 20]]) {
      const name = `_FusedMatMul ${activation} bias${JSON.stringify(biasShape)}`;
      for (const transposeB of [false, true]) {
        test(`${name} transposeB=${transposeB}`, () =>
          check(name, ["_FusedMatMul"], true, () => {
            const r = createRng(6);
            const a = randn(r, [33, 300]) as tf.Tensor2D;
            const b = randn(r, transposeB ? [20, 300] : [300, 20]) as tf.Tensor2D;
            const bias = randn(r, biasShape);
            return [tf.fused.matMul({ a, b, transposeB, bias, activation })];
          }));
      }
    }
  }
});

/**
 * Cases whose channel counts are multiples of 16, so the direct AVX-512 / AVX2 kernels take them
 * (stride 1 with pads <= k - 1 for the input gradient): tails of the pixel and column tiles,
 * strides, dilation, explicit padding, 1x1.
 */
const DIRECT_CASES: ConvCase[] = [
  { x: [1, 10, 10, 32], f: [5, 5, 32, 64], stride: 1, pad: "same", dilation: 1 },
  { x: [2, 20, 20, 1], f: [5, 5, 1, 32], stride: 1, pad: "same", dilation: 1 },
  { x: [1, 9, 7, 16], f: [3, 3, 16, 48], stride: 1, pad: "valid", dilation: 1 },
  { x: [2, 8, 9, 16], f: [3, 2, 16, 16], stride: [2, 1], pad: "same", dilation: 1 },
  { x: [1, 11, 10, 16], f: [3, 3, 16, 32], stride: 1, pad: "same", dilation: 2 },
  { x: [1, 7, 7, 32], f: [1, 1, 32, 80], stride: 1, pad: "valid", dilation: 1 },
  {
    x: [1, 10, 9, 16],
    f: [3, 3, 16, 16],
    stride: 1,
    pad: [
      [0, 0],
      [2, 0],
      [1, 2],
      [0, 0],
    ],
    dilation: 1,
  },
];

/** The conv implementations this machine can run; each one is tested. */
function kernelImplementations(): KernelImplementation[] {
  const all: KernelImplementation[] = ["blas", "avx2", "avx512"];
  return all.filter((name) => {
    try {
      setNativeKernelImplementation(name);
      return true;
    } catch {
      return false;
    } finally {
      setNativeKernelImplementation("auto");
    }
  });
}

describe("native conv (every implementation this CPU has)", () => {
  after(() => setNativeKernelImplementation("auto"));
  for (const c of [...DIRECT_CASES, ...convCases()]) {
    const direct = DIRECT_CASES.includes(c);
    const name = `Conv2D ${label(c)}${direct ? " [direct]" : ""}`;
    test(name, () =>
      check(name, ["Conv2D"], direct, () => {
        const r = createRng(7);
        const x = randn(r, c.x) as tf.Tensor4D;
        const f = randn(r, c.f) as tf.Tensor4D;
        return [tf.conv2d(x, f, c.stride, c.pad, "NHWC", c.dilation)];
      }),
    );
    if (c.dilation !== 1) continue; // tfjs has no dilated conv gradients
    // The filter gradient always goes direct for these cases; the input gradient when stride 1.
    const gradName = `Conv2DBackpropInput/Filter ${label(c)}${direct ? " [direct]" : ""}`;
    test(gradName, () =>
      check(gradName, ["Conv2DBackpropInput", "Conv2DBackpropFilter"], direct, () => {
        const r = createRng(8);
        const x = randn(r, c.x) as tf.Tensor4D;
        const f = randn(r, c.f) as tf.Tensor4D;
        const y = tf.conv2d(x, f, c.stride, c.pad);
        const weights = randn(r, y.shape);
        const g = tf.grads((xi: tf.Tensor, fi: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, c.stride, c.pad), weights)),
        );
        return g([x, f]);
      }),
    );
  }
  for (const activation of ["linear", "relu"] as const) {
    const name = `FusedConv2D bias ${activation}`;
    for (const [xShape, fShape] of [
      [
        [2, 9, 9, 3],
        [3, 3, 3, 5],
      ],
      [
        [2, 9, 9, 16],
        [3, 3, 16, 32],
      ],
    ] as const) {
      const caseName = `${name} x${JSON.stringify(xShape)} f${JSON.stringify(fShape)}`;
      test(caseName, () =>
        check(caseName, ["FusedConv2D"], fShape[3] % 16 === 0, () => {
          const r = createRng(9);
          return [
            tf.fused.conv2d({
              x: randn(r, [...xShape]) as tf.Tensor4D,
              filter: randn(r, [...fShape]) as tf.Tensor4D,
              strides: 2,
              pad: "same",
              bias: randn(r, [fShape[3]]),
              activation,
            }),
          ];
        }),
      );
    }
  }
});

describe("native max pool", () => {
  const cases: {
    x: number[];
    k: number | [number, number];
    s: number | [number, number];
    pad: "same" | "valid";
  }[] = [
    { x: [2, 28, 28, 8], k: 2, s: 2, pad: "valid" },
    { x: [2, 7, 7, 3], k: 3, s: 2, pad: "same" },
    { x: [2, 8, 9, 4], k: 2, s: 1, pad: "valid" },
    { x: [1, 5, 5, 2], k: 3, s: 2, pad: "valid" },
    { x: [1, 7, 5, 3], k: [3, 2], s: [1, 2], pad: "same" },
    { x: [3, 9, 9, 1], k: 2, s: 2, pad: "valid" },
  ];
  for (const c of cases) {
    const name = `MaxPool/MaxPoolGrad x${JSON.stringify(c.x)} k${JSON.stringify(c.k)} s${JSON.stringify(c.s)} ${c.pad}`;
    test(name, async () => {
      const { stock, native, calls } = await stockVersusNative(() => {
        const r = createRng(10);
        const x = randn(r, c.x) as tf.Tensor4D;
        const y = tf.maxPool(x, c.k, c.s, c.pad);
        const weights = randn(r, y.shape);
        const g = tf.grad((xi: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(xi as tf.Tensor4D, c.k, c.s, c.pad), weights)),
        );
        return [y, g(x)];
      });
      assertClose(stock, native, name, TOLERANCE);
      assertNative(calls, "MaxPool", name);
      assertNative(calls, "MaxPoolGrad", name);
    });
  }
});

describe("native sum", () => {
  const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
    { shape: [32, 10], axis: 0, keepDims: true },
    { shape: [32, 10], axis: 1, keepDims: false },
    { shape: [32, 10], axis: -1, keepDims: true },
    { shape: [3, 4, 5], axis: [1], keepDims: false },
    { shape: [3, 4, 5], axis: [2, 1], keepDims: true },
    { shape: [1000], axis: 0, keepDims: false },
    { shape: [6, 5], axis: [0, 1], keepDims: false },
  ];
  for (const c of cases) {
    const name = `Sum ${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)} keepDims=${c.keepDims}`;
    test(name, async () => {
      const { stock, native, calls } = await stockVersusNative(() => {
        const r = createRng(12);
        return [tf.sum(randn(r, c.shape), c.axis, c.keepDims)];
      });
      assertClose(stock, native, name, TOLERANCE);
      assertNative(calls, "Sum", name);
    });
  }
});

describe("native elementwise", () => {
  const shapes: [number[], number[]][] = [
    [
      [4, 5],
      [4, 5],
    ],
    [[32, 7, 7, 8], [8]],
    [[8], [2, 3, 8]],
    [[100, 3], []],
    [[], [100, 3]],
    [
      [5, 6],
      [5, 1],
    ],
    [
      [5, 1],
      [5, 6],
    ],
    [
      [3, 1],
      [1, 4],
    ],
    [
      [2, 1, 4],
      [2, 3, 4],
    ],
    [
      [2, 3, 1, 5],
      [1, 3, 4, 1],
    ],
    [[1, 1, 6], [6]],
  ];
  const ops = {
    Add: tf.add,
    Sub: tf.sub,
    Multiply: tf.mul,
    RealDiv: tf.div,
  } as const;
  for (const [kernel, op] of Object.entries(ops)) {
    for (const [sa, sb] of shapes) {
      const name = `${kernel} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`;
      test(name, async () => {
        const { stock, native, calls } = await stockVersusNative(() => {
          const r = createRng(13);
          const a = randn(r, sa);
          const b = kernel === "RealDiv" ? tf.add(tf.abs(randn(r, sb)), 0.5) : randn(r, sb);
          return [op(a, b)];
        });
        assertClose(stock, native, name, 0);
        assertNative(calls, kernel, name);
      });
    }
  }
  test("Relu and Step (alpha 0 and 0.3, with NaN and signed zeros)", async () => {
    const { stock, native, calls } = await stockVersusNative(() => {
      const r = createRng(14);
      const values = randn(r, [1000]);
      const special = tf.tensor([
        Number.NaN,
        0,
        -0,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ]);
      const x = tf.concat([values, special]);
      return [tf.relu(x), tf.step(x), tf.step(x, 0.3)];
    });
    assertClose(stock, native, "relu/step", 0);
    assertNative(calls, "Relu", "relu");
    assertNative(calls, "Step", "step");
  });
});

describe("fused relu gradient", () => {
  test("matches tfjs's dy * step(x) bit for bit, NaN and signed zeros included", async () => {
    const { stock, native, calls } = await stockVersusNative(() => {
      const r = createRng(15);
      const special = tf.tensor([Number.NaN, 0, -0, Number.POSITIVE_INFINITY, -1, 1]);
      const x = tf.concat([randn(r, [300]), special]);
      const dy = tf.concat([
        randn(r, [300]),
        tf.tensor([1, 2, 3, Number.NaN, 5, Number.POSITIVE_INFINITY]),
      ]);
      const g = tf.grad((xi: tf.Tensor) => tf.relu(xi));
      return [g(x, dy)];
    });
    assertClose(stock, native, "relu grad", 0);
    assertNative(calls, "Relu", "relu grad");
    assert.equal(calls.Step?.native ?? 0, 0, "the fused gradient should not run Step");
  });
});

describe("degenerate shapes", () => {
  const cases: { name: string; fn: () => tf.Tensor[] }[] = [
    { name: "matMul with K = 0", fn: () => [tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 70]))] },
    { name: "matMul with M = 0", fn: () => [tf.matMul(tf.zeros([0, 5]), tf.ones([5, 70]))] },
    { name: "add of empty tensors", fn: () => [tf.add(tf.zeros([0, 4]), tf.ones([4]))] },
    { name: "sum of an empty axis", fn: () => [tf.sum(tf.zeros([3, 0, 80]), 1)] },
    { name: "relu of an empty tensor", fn: () => [tf.relu(tf.zeros([0]))] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const { stock, native } = await stockVersusNative(c.fn);
      assertClose(stock, native, c.name, 0);
    });
  }
});

describe("installation", () => {
  test("install is idempotent; uninstall restores the stock kernels and the Relu gradient", async () => {
    await installNativeKernels();
    const conv = tf.getKernel("Conv2D", "cpu")?.kernelFunc;
    const reluGrad = tf.getGradient("Relu")?.gradFunc;
    await installNativeKernels();
    assert.equal(tf.getKernel("Conv2D", "cpu")?.kernelFunc, conv, "a second install re-registered");
    assert.equal(nativeKernelsInstalled(), true);
    uninstallNativeKernels();
    assert.equal(nativeKernelsInstalled(), false);
    assert.notEqual(tf.getKernel("Conv2D", "cpu")?.kernelFunc, conv);
    assert.notEqual(tf.getGradient("Relu")?.gradFunc, reluGrad);
    assert.equal(tf.getKernel("BlazeFLReluGrad", "cpu"), undefined);
    resetNativeKernelStats();
    tf.tidy(() => tf.add(tf.ones([100]), tf.ones([100])).dataSync());
    assert.equal(nativeKernelStats().kernels.Add?.native ?? 0, 0, "uninstalled kernels still ran");
    await installNativeKernels();
    assert.equal(nativeKernelsInstalled(), true);
  });
});
