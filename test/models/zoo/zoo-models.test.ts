import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../../../src/core/partitioned-dataset.js";
import { initEngine } from "../../../src/engine/init-engine.js";
import { LayersModelClassifier } from "../../../src/models/layers-model-classifier.js";
import { createZooModel } from "../../../src/models/model-zoo.js";
import { SgdOptimizer } from "../../../src/models/sgd-optimizer.js";
import { buildCharLstm } from "../../../src/models/zoo/char-lstm.js";
import { createRng, type Rng } from "../../../src/reproducibility/rng.js";
import { randomBatch } from "../model-helpers.js";

before(async () => {
  await initEngine("cpu");
});

function charBatch(rng: Rng, size: number, length: number, classes: number): Batch {
  const x = new Float32Array(size * length);
  for (let i = 0; i < x.length; i++) x[i] = rng.int(0, classes - 1);
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) y[i] = rng.int(0, classes - 1);
  return { x, y, size, sampleShape: [length] };
}

/**
 * Finite differences against the autodiff gradient g: along g itself the slope must be |g|,
 * and along a random direction on one small weight it must be that weight's g . d.
 */
function checkGradient(
  model: LayersModelClassifier,
  batch: Batch,
  small: string,
  eps = 1e-2,
): void {
  const w = model.getFlatParameters();
  const { gradients: g } = model.computeGradients(batch);
  const lossAt = (d: Float32Array, t: number) => {
    const moved = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) moved[i] = (w[i] as number) + t * (d[i] as number);
    model.setFlatParameters(moved);
    return model.computeGradients(batch).loss;
  };
  const slope = (d: Float32Array) => (lossAt(d, eps) - lossAt(d, -eps)) / (2 * eps);
  let norm = 0;
  for (const v of g) norm += v * v;
  norm = Math.sqrt(norm);
  assert.ok(norm > 1e-4, `gradient norm ${norm}`);
  const along = g.map((v) => v / norm);
  const fd = slope(along);
  assert.ok(Math.abs(fd - norm) < 0.05 * norm, `slope along g: ${fd} vs |g| ${norm}`);
  const p = model.parameterInfo.find((q) => q.name === small);
  assert.ok(p, small);
  const rng = createRng(11);
  const d = new Float32Array(w.length);
  let dot = 0;
  for (let i = p.offset; i < p.offset + p.size; i++) {
    d[i] = rng.normal() / Math.sqrt(p.size);
    dot += (d[i] as number) * (g[i] as number);
  }
  const fd2 = slope(d);
  assert.ok(
    Math.abs(fd2 - dot) < 0.05 * Math.abs(dot) + 1e-3,
    `slope on ${small}: ${fd2} vs ${dot}`,
  );
  model.setFlatParameters(w);
}

/** Steps a few times and checks that the tensor count stays flat after the first. */
function assertNoLeak(model: LayersModelClassifier, batch: Batch, steps = 3): number[] {
  const optimizer = new SgdOptimizer({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const losses = [model.trainStep(batch, optimizer)];
  const start = tf.memory().numTensors;
  for (let i = 1; i < steps; i++) losses.push(model.trainStep(batch, optimizer));
  model.evaluate([batch]);
  assert.equal(tf.memory().numTensors, start, "tensor count after the first step");
  optimizer.dispose();
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  return losses;
}

describe("lenet5", () => {
  it("is PyTorch's CIFAR tutorial CNN: 62,006 parameters, logits for 10 classes", () => {
    const m = createZooModel("lenet5", { rng: createRng(1) });
    assert.equal(m.numParameters, 62_006);
    assert.deepEqual(
      m.parameterInfo.map((p) => [p.name, p.shape]),
      [
        ["conv1.kernel", [5, 5, 3, 6]],
        ["conv1.bias", [6]],
        ["conv2.kernel", [5, 5, 6, 16]],
        ["conv2.bias", [16]],
        ["fc1.kernel", [400, 120]],
        ["fc1.bias", [120]],
        ["fc2.kernel", [120, 84]],
        ["fc2.bias", [84]],
        ["fc3.kernel", [84, 10]],
        ["fc3.bias", [10]],
      ],
    );
    // PyTorch's default init: U(+-1/sqrt(fanIn)) for weights and biases alike.
    const flat = m.getFlatParameters();
    const fc1 = m.parameterInfo[5] as { offset: number; size: number };
    const bias = flat.subarray(fc1.offset, fc1.offset + fc1.size);
    assert.ok(bias.every((v) => Math.abs(v) <= 1 / 20) && bias.some((v) => Math.abs(v) > 0.03));
    const batch = randomBatch(createRng(2), 4, [32, 32, 3], 10);
    assert.equal(m.predictLogits(batch).length, 40);
    checkGradient(m, batch, "fc3.bias");
    const losses = assertNoLeak(m, batch, 6);
    assert.ok((losses.at(-1) as number) < (losses[0] as number));
    m.dispose();
  });

  it("takes Fashion-MNIST's 28x28x1 too", () => {
    const m = createZooModel("lenet5", { rng: createRng(1), inputShape: [28, 28, 1] });
    assert.equal(m.numParameters, 156 + 2416 + 256 * 120 + 120 + 10_164 + 850);
    m.dispose();
  });
});

describe("resnet18", () => {
  it("has torchvision's 11,181,642 trainable parameters plus 9,600 batch-norm statistics", () => {
    const m = createZooModel("resnet18", { rng: createRng(1) });
    assert.equal(m.numTrainableParameters, 11_181_642);
    assert.equal(m.numParameters, 11_181_642 + 9_600);
    const names = m.parameterInfo.map((p) => p.name);
    assert.deepEqual(names.slice(0, 6), [
      "conv1.kernel",
      "bn1.gamma",
      "bn1.beta",
      "bn1.moving_mean",
      "bn1.moving_variance",
      "layer1.0.conv1.kernel",
    ]);
    assert.ok(names.includes("layer2.0.downsample.0.kernel"));
    assert.deepEqual(m.parameterInfo.at(-2)?.shape, [512, 10]);
    const batch = randomBatch(createRng(3), 2, [32, 32, 3], 10);
    assert.equal(m.predictLogits(batch).length, 20);
    assertNoLeak(m, batch, 2);
    m.dispose();
  });
});

describe("resnet18-gn", () => {
  it("has the same 11,181,642 parameters, none of them running statistics, and correct gradients", () => {
    const m = createZooModel("resnet18-gn", { rng: createRng(4) });
    assert.equal(m.numParameters, 11_181_642);
    assert.equal(m.numTrainableParameters, 11_181_642);
    assert.ok(m.parameterInfo.some((p) => p.name === "layer4.1.bn2.gamma"));
    const batch = randomBatch(createRng(5), 2, [32, 32, 3], 10);
    checkGradient(m, batch, "layer4.1.bn2.beta");
    assertNoLeak(m, batch, 2);
    m.dispose();
  });
});

describe("char-lstm", () => {
  it("is LEAF Shakespeare's: embedding 8, two LSTMs of 256, 817,872 parameters for 80 characters", () => {
    const m = createZooModel("char-lstm", { rng: createRng(1) });
    assert.equal(m.numParameters, 817_872);
    assert.deepEqual(
      m.parameterInfo.map((p) => [p.name, p.shape]),
      [
        ["embedding.embeddings", [80, 8]],
        ["lstm1.kernel", [8, 1024]],
        ["lstm1.recurrent_kernel", [256, 1024]],
        ["lstm1.bias", [1024]],
        ["lstm2.kernel", [256, 1024]],
        ["lstm2.recurrent_kernel", [256, 1024]],
        ["lstm2.bias", [1024]],
        ["fc.kernel", [256, 80]],
        ["fc.bias", [80]],
      ],
    );
    const batch = charBatch(createRng(2), 2, 80, 80);
    assert.equal(m.predictLogits(batch).length, 160);
    m.dispose();
  });

  it("trains on the wasm engine too, to the native engine's losses", async () => {
    const losses = async (device: string) => {
      await initEngine(device);
      const m = new LayersModelClassifier(buildCharLstm([6], 12), { rng: createRng(3) });
      const optimizer = new SgdOptimizer({ lr: 0.5 });
      const batch = charBatch(createRng(4), 3, 6, 12);
      const out = [0, 1, 2].map(() => m.trainStep(batch, optimizer));
      optimizer.dispose();
      m.dispose();
      return out;
    };
    const native = await losses("cpu");
    const wasm = await losses("cpu-wasm");
    await initEngine("cpu");
    for (const [i, l] of wasm.entries())
      assert.ok(Math.abs(l - (native[i] as number)) < 1e-4, `step ${i}: ${l} vs ${native[i]}`);
  });

  it("has correct gradients and no leak (on short sequences)", () => {
    const m = new LayersModelClassifier(buildCharLstm([6], 12), { rng: createRng(3) });
    const batch = charBatch(createRng(4), 3, 6, 12);
    checkGradient(m, batch, "lstm1.bias");
    assertNoLeak(m, batch, 4);
    m.dispose();
  });
});
