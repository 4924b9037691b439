import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../src/core/errors.js";
import type { Batch } from "../../src/core/partitioned-dataset.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { createCnn } from "../../src/models/cnn.js";
import { dense } from "../../src/models/layers/dense.js";
import { flatten } from "../../src/models/layers/flatten.js";
import type { Layer } from "../../src/models/layers/layer.js";
import { createLogisticRegression } from "../../src/models/logistic-regression.js";
import { createMlp } from "../../src/models/mlp.js";
import { SequentialClassifier } from "../../src/models/sequential-classifier.js";
import { SgdOptimizer } from "../../src/models/sgd-optimizer.js";
import { createRng } from "../../src/reproducibility/rng.js";
import { randomBatch, referenceGradients, relativeError } from "./model-helpers.js";

interface Fixture {
  readonly name: string;
  readonly make: () => SequentialClassifier;
  readonly batch: Batch;
}

function fixtures(): Fixture[] {
  const rng = createRng(99);
  return [
    {
      name: "logreg",
      make: () => createLogisticRegression({ rng: createRng(1), inputShape: [7], numClasses: 3 }),
      batch: randomBatch(rng, 5, [7], 3),
    },
    {
      name: "mlp",
      make: () =>
        createMlp({ rng: createRng(2), inputShape: [3, 4], hiddenUnits: [16, 8], numClasses: 5 }),
      batch: randomBatch(rng, 6, [3, 4], 5),
    },
    {
      name: "cnn",
      make: () => createCnn({ rng: createRng(3), inputShape: [8, 8, 2], numClasses: 4 }),
      batch: randomBatch(rng, 3, [8, 8, 2], 4),
    },
  ];
}

before(async () => {
  await initEngine("cpu");
});

describe("hand-written gradients", () => {
  it("match tfjs autodiff on the cpu-reference backend and on wasm", async () => {
    for (const engine of ["cpu-reference", "cpu"] as const) {
      await initEngine(engine);
      for (const f of fixtures()) {
        const model = f.make();
        const flat = model.getFlatParameters();
        const mine = model.computeGradients(f.batch);
        const reference = referenceGradients(model, flat, f.batch);
        assert.ok(
          Math.abs(mine.loss - reference.loss) < 1e-5 * Math.max(1, reference.loss),
          `${engine} ${f.name} loss`,
        );
        assert.ok(
          relativeError(mine.gradients, reference.gradients) < 1e-4,
          `${engine} ${f.name} gradients`,
        );
        assert.deepEqual(
          model.getFlatParameters(),
          flat,
          "computeGradients leaves the weights alone",
        );
        model.dispose();
      }
    }
    await initEngine("cpu");
  });

  it("agree between the wasm and cpu-reference engines", async () => {
    for (const f of fixtures()) {
      await initEngine("cpu-reference");
      const a = f.make();
      const onReference = a.computeGradients(f.batch);
      a.dispose();
      await initEngine("cpu");
      const b = f.make();
      const onWasm = b.computeGradients(f.batch);
      b.dispose();
      assert.ok(relativeError(onWasm.gradients, onReference.gradients) < 1e-4, f.name);
    }
  });

  it("agree with finite differences of the loss (tiny CNN, wasm)", () => {
    const f = fixtures()[2] as Fixture;
    const model = f.make();
    const flat = model.getFlatParameters();
    const { gradients } = model.computeGradients(f.batch);
    let scale = 0;
    for (const g of gradients) scale = Math.max(scale, Math.abs(g));
    const rng = createRng(4);
    // One coordinate in each parameter tensor, plus a few of the largest gradients.
    const coords = model.parameterInfo.map((p) => p.offset + rng.int(0, p.size - 1));
    const order = [...gradients.keys()].sort(
      (i, j) => Math.abs(gradients[j] as number) - Math.abs(gradients[i] as number),
    );
    coords.push(...order.slice(0, 6));
    const lossAt = (i: number, delta: number) => {
      const p = flat.slice();
      p[i] = (p[i] as number) + delta;
      model.setFlatParameters(p);
      return model.computeGradients(f.batch).loss;
    };
    const eps = 1e-2;
    for (const i of coords) {
      const fd = (lossAt(i, eps) - lossAt(i, -eps)) / (2 * eps);
      assert.ok(
        Math.abs(fd - (gradients[i] as number)) < 2e-2 * scale + 1e-4,
        `coordinate ${i}: fd ${fd} vs ${gradients[i]}`,
      );
    }
    model.dispose();
  });
});

describe("trainStep", () => {
  it("reduces the loss on a fixed batch and returns the loss before the update", () => {
    for (const f of fixtures()) {
      const model = f.make();
      const opt = new SgdOptimizer({ lr: 0.1, momentum: 0.5 });
      const before = model.computeGradients(f.batch).loss;
      assert.equal(model.trainStep(f.batch, opt), before);
      let last = before;
      for (let i = 0; i < 30; i++) last = model.trainStep(f.batch, opt);
      assert.ok(last < 0.5 * before, `${f.name}: ${before} -> ${last}`);
      opt.dispose();
      model.dispose();
    }
  });

  it("keeps the tensor count flat over 100 steps, and frees everything on dispose", () => {
    const baseline = tf.memory().numTensors;
    for (const f of fixtures().slice(1)) {
      const model = f.make();
      const opt = new SgdOptimizer({ lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
      model.trainStep(f.batch, opt);
      const afterFirst = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;
      for (let i = 0; i < 100; i++) model.trainStep(f.batch, opt);
      assert.equal(tf.memory().numTensors, afterFirst, f.name);
      assert.equal(tf.memory().numBytes, bytes, f.name);
      model.evaluate([f.batch, f.batch]);
      assert.equal(tf.memory().numTensors, afterFirst, `${f.name} evaluate`);
      opt.dispose();
      model.dispose();
      assert.equal(tf.memory().numTensors, baseline, `${f.name} disposed`);
    }
  });

  it("rejects malformed batches, naming the field", () => {
    const model = createMlp({
      rng: createRng(1),
      inputShape: [4],
      hiddenUnits: [3],
      numClasses: 2,
    });
    const opt = new SgdOptimizer({ lr: 0.1 });
    const good: Batch = {
      x: new Float32Array(8),
      y: new Int32Array([0, 1]),
      size: 2,
      sampleShape: [4],
    };
    const bad: [Partial<Batch>, string][] = [
      [{ size: 0 }, "batch.size"],
      [{ x: new Float32Array(7) }, "batch.x.length"],
      [{ x: [1, 2] as unknown as Float32Array }, "batch.x"],
      [{ y: new Int32Array([0]) }, "batch.y"],
      [{ y: new Float32Array([0, 1]) as unknown as Int32Array }, "batch.y"],
      [{ y: new Int32Array([0, 2]) }, "batch.y[1]"],
      [{ y: new Int32Array([-1, 0]) }, "batch.y[0]"],
      [{ sampleShape: [5] }, "batch.sampleShape"],
    ];
    for (const [patch, option] of bad)
      assert.throws(
        () => model.trainStep({ ...good, ...patch }, opt),
        (e: unknown) => e instanceof OptionsError && e.option === option,
        option,
      );
    assert.throws(() => model.evaluate([{ ...good, y: new Int32Array([0, 9]) }]), OptionsError);
    assert.ok(Number.isFinite(model.trainStep(good, opt)));
    // A 2x2 sample shape has the MLP's 4 features: accepted.
    assert.ok(Number.isFinite(model.trainStep({ ...good, sampleShape: [2, 2] }, opt)));
    opt.dispose();
    model.dispose();
    const cnn = createCnn({ rng: createRng(1), inputShape: [4, 4, 1], numClasses: 2 });
    const cnnBatch: Batch = {
      x: new Float32Array(16),
      y: new Int32Array([1]),
      size: 1,
      sampleShape: [1, 4, 4],
    };
    assert.throws(
      () => cnn.predictLogits(cnnBatch),
      OptionsError,
      "same rank, other order: a CHW batch is not silently read as HWC",
    );
    cnn.dispose();
  });
});

describe("the backward pass", () => {
  it("stops at the first layer with parameters, which computes no input gradient", () => {
    const calls: string[] = [];
    const spy = (layer: Layer): Layer => ({
      ...layer,
      backward(dy, x, y, params, needDx) {
        calls.push(`${layer.name}:${needDx}`);
        return layer.backward(dy, x, y, params, needDx);
      },
    });
    const model = new SequentialClassifier(
      {
        name: "spy",
        inputShape: [2, 3],
        numClasses: 2,
        layers: [
          spy(flatten("flatten", [2, 3])),
          spy(dense({ name: "fc1", inputUnits: 6, units: 4, activation: "relu" })),
          spy(dense({ name: "fc2", inputUnits: 4, units: 2 })),
        ],
      },
      createRng(1),
    );
    model.computeGradients({
      x: new Float32Array(12).fill(1),
      y: new Int32Array([0, 1]),
      size: 2,
      sampleShape: [2, 3],
    });
    assert.deepEqual(calls, ["fc2:true", "fc1:false"]);
    model.dispose();
  });
});

describe("evaluate", () => {
  it("returns the mean loss, the accuracy and the count", () => {
    const model = createLogisticRegression({ rng: createRng(1), inputShape: [3], numClasses: 4 });
    model.setFlatParameters(new Float32Array(model.numParameters)); // all logits 0
    const labels = [0, 1, 0, 3, 2, 0];
    const batches: Batch[] = [
      {
        x: new Float32Array(12).fill(1),
        y: new Int32Array(labels.slice(0, 4)),
        size: 4,
        sampleShape: [3],
      },
      {
        x: new Float32Array(6).fill(-1),
        y: new Int32Array(labels.slice(4)),
        size: 2,
        sampleShape: [3],
      },
    ];
    const r = model.evaluate(batches);
    assert.equal(r.count, 6);
    assert.ok(Math.abs(r.loss - Math.log(4)) < 1e-6);
    assert.equal(r.accuracy, 3 / 6, "ties go to class 0");
    const empty = model.evaluate([]);
    assert.equal(empty.count, 0);
    assert.ok(Number.isNaN(empty.loss) && Number.isNaN(empty.accuracy));
    model.dispose();
  });
});
