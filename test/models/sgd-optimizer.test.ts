import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../src/core/errors.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { nativeKernelStats, resetNativeKernelStats } from "../../src/engine/native/install.js";
import { createLogisticRegression } from "../../src/models/logistic-regression.js";
import { SgdOptimizer, type SgdOptions } from "../../src/models/sgd-optimizer.js";
import { createRng } from "../../src/reproducibility/rng.js";
import { randomBatch, relativeError } from "./model-helpers.js";

before(async () => {
  await initEngine("cpu");
});

/** PyTorch's SGD in float64: g += wd * w; buf = mu * buf + g (buf = g first); w -= lr * buf. */
function expectedStep(
  w: Float32Array,
  g: Float32Array,
  buf: Float64Array | undefined,
  o: Required<SgdOptions>,
) {
  const next = new Float32Array(w.length);
  const nextBuf = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const gi = (g[i] as number) + o.weightDecay * (w[i] as number);
    const b = o.momentum === 0 ? gi : buf === undefined ? gi : o.momentum * (buf[i] as number) + gi;
    nextBuf[i] = b;
    next[i] = (w[i] as number) - o.lr * b;
  }
  return { next, buf: nextBuf };
}

describe("SgdOptimizer", () => {
  it("follows PyTorch's update with momentum and weight decay, and reset() forgets the momentum", () => {
    const rng = createRng(21);
    const batch = randomBatch(rng, 8, [6], 3);
    for (const options of [
      { lr: 0.1, momentum: 0, weightDecay: 0 },
      { lr: 0.05, momentum: 0.9, weightDecay: 0 },
      { lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
      { lr: 0.2, momentum: 0, weightDecay: 0.1 },
    ]) {
      const model = createLogisticRegression({ rng: createRng(2), inputShape: [6], numClasses: 3 });
      const opt = new SgdOptimizer(options);
      let buf: Float64Array | undefined;
      for (let step = 0; step < 4; step++) {
        if (step === 2) {
          opt.reset();
          buf = undefined;
          assert.equal(opt.numBuffers, 0);
        }
        const w = model.getFlatParameters();
        const g = model.computeGradients(batch).gradients;
        const expected = expectedStep(w, g, buf, options);
        buf = expected.buf;
        model.trainStep(batch, opt);
        assert.ok(
          relativeError(model.getFlatParameters(), expected.next) < 1e-6,
          `${JSON.stringify(options)} step ${step}`,
        );
        assert.equal(opt.numBuffers, options.momentum === 0 ? 0 : 2);
      }
      opt.dispose();
      model.dispose();
    }
  });

  it("gives the same bits on the native engine's fused in-place step as with tfjs ops", async () => {
    const multiplies = new Map<string, number>();
    const run = async (device: string) => {
      await initEngine(device);
      const rng = createRng(21);
      const values = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
      const vars = [
        tf.variable(tf.tensor(values(300), [30, 10])),
        tf.variable(tf.tensor(values(7))),
      ];
      const grads = Array.from({ length: 5 }, () => [
        tf.tensor(values(300), [30, 10]),
        tf.tensor(values(7)),
      ]);
      const optimizer = new SgdOptimizer({ lr: 0.05, momentum: 0.9, weightDecay: 1e-3 });
      const plain = new SgdOptimizer({ lr: 0.3 });
      resetNativeKernelStats();
      for (const g of grads) tf.tidy(() => optimizer.apply(vars, g));
      for (const g of grads) tf.tidy(() => plain.apply(vars, g));
      multiplies.set(device, nativeKernelStats().kernels.Multiply?.native ?? 0);
      const out = vars.map((v) => v.dataSync().slice() as Float32Array);
      for (const t of [...vars, ...grads.flat()]) t.dispose();
      optimizer.dispose();
      plain.dispose();
      return out;
    };
    const native = await run("cpu");
    const reference = await run("cpu-reference");
    await initEngine("cpu");
    for (const [i, v] of native.entries()) assert.deepEqual(v, reference[i], `variable ${i}`);
    // The ops path takes 3 multiplies per variable and step with momentum and 1 without; the big
    // variable goes in place after its first step (2 multiplies), the small one (below the
    // buffer pool's minimum) always by ops: 2 + (2 + 3 * 4) + 5.
    assert.equal(multiplies.get("cpu"), 21);
  });

  it("validates its options, naming the bad one", () => {
    const bad: [SgdOptions, string][] = [
      [{ lr: 0 }, "lr"],
      [{ lr: Number.NaN }, "lr"],
      [{ lr: "0.1" as unknown as number }, "lr"],
      [{ lr: 0.1, momentum: 1 }, "momentum"],
      [{ lr: 0.1, momentum: -0.1 }, "momentum"],
      [{ lr: 0.1, weightDecay: -1 }, "weightDecay"],
      [{ lr: 0.1, weightDecay: Number.POSITIVE_INFINITY }, "weightDecay"],
    ];
    for (const [options, option] of bad)
      assert.throws(
        () => new SgdOptimizer(options),
        (e: unknown) => e instanceof OptionsError && e.option === option,
      );
    assert.deepEqual(new SgdOptimizer({ lr: 0.5 }).options, {
      lr: 0.5,
      momentum: 0,
      weightDecay: 0,
    });
  });

  it("checks the gradient count, refuses use after dispose and frees its tensors", () => {
    const before = tf.memory().numTensors;
    const opt = new SgdOptimizer({ lr: 0.1, momentum: 0.9 });
    const v = tf.tidy(() => tf.variable(tf.ones([3])));
    const g = tf.ones([3]);
    assert.throws(() => opt.apply([v], []), OptionsError);
    tf.tidy(() => opt.apply([v], [g]));
    assert.deepEqual([...v.dataSync()], [0.9, 0.9, 0.9].map(Math.fround));
    opt.dispose();
    assert.throws(() => opt.apply([v], [g]), OptionsError);
    v.dispose();
    g.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
