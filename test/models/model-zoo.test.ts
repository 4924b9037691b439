import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../src/core/errors.js";
import { deserializeModel, serializeModel } from "../../src/core/serialize.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { createCnn } from "../../src/models/cnn.js";
import { createLogisticRegression } from "../../src/models/logistic-regression.js";
import { createMlp } from "../../src/models/mlp.js";
import {
  createZooModel,
  type ModelName,
  ZOO_MODEL_NAMES,
  ZooModelSelector,
} from "../../src/models/model-zoo.js";
import { createRng } from "../../src/reproducibility/rng.js";
import { createRngSuite } from "../../src/reproducibility/rng-suite.js";

before(async () => {
  await initEngine("cpu");
});

describe("the zoo's shapes", () => {
  it("MLP 784-200-200-10 has 199,210 parameters in a documented order", () => {
    const m = createMlp({ rng: createRng(1) });
    assert.equal(m.numParameters, 199_210);
    assert.deepEqual(
      m.parameterInfo.map((p) => [p.name, p.shape, p.offset]),
      [
        ["fc1.weight", [200, 784], 0],
        ["fc1.bias", [200], 156_800],
        ["fc2.weight", [200, 200], 157_000],
        ["fc2.bias", [200], 197_000],
        ["fc3.weight", [10, 200], 197_200],
        ["fc3.bias", [10], 199_200],
      ],
    );
    m.dispose();
  });

  it("the McMahan CNN has 1,663,370 parameters on 28x28x1 and takes 32x32x3", () => {
    const m = createCnn({ rng: createRng(1) });
    assert.equal(m.numParameters, 1_663_370);
    assert.deepEqual(
      m.parameterInfo.map((p) => [p.name, p.shape]),
      [
        ["conv1.weight", [5, 5, 1, 32]],
        ["conv1.bias", [32]],
        ["conv2.weight", [5, 5, 32, 64]],
        ["conv2.bias", [64]],
        ["fc1.weight", [512, 3136]],
        ["fc1.bias", [512]],
        ["fc2.weight", [10, 512]],
        ["fc2.bias", [10]],
      ],
    );
    m.dispose();
    const cifar = createCnn({ rng: createRng(1), inputShape: [32, 32, 3] });
    assert.equal(cifar.numParameters, 2432 + 51_264 + 4096 * 512 + 512 + 5130);
    cifar.dispose();
  });

  it("logistic regression 60 -> 10 has 610 parameters", () => {
    const m = createLogisticRegression({ rng: createRng(1) });
    assert.equal(m.numParameters, 610);
    assert.deepEqual(m.inputShape, [60]);
    m.dispose();
  });

  it("draws PyTorch's default initialisation, U(-1/sqrt(fanIn), 1/sqrt(fanIn))", () => {
    const m = createCnn({ rng: createRng(3) });
    const flat = m.getFlatParameters();
    const fanIns = [25, 25, 800, 800, 3136, 3136, 512, 512];
    for (const [i, p] of m.parameterInfo.entries()) {
      const bound = 1 / Math.sqrt(fanIns[i] as number);
      let max = 0;
      let sum = 0;
      for (let k = p.offset; k < p.offset + p.size; k++) {
        max = Math.max(max, Math.abs(flat[k] as number));
        sum += flat[k] as number;
      }
      assert.ok(max <= bound, `${p.name} within its bound`);
      if (p.size > 1000) {
        assert.ok(max > 0.99 * bound, `${p.name} fills its range`);
        assert.ok(Math.abs(sum / p.size) < 0.05 * bound, `${p.name} is centred`);
      }
    }
    m.dispose();
  });

  it("rejects bad shapes and class counts", () => {
    assert.throws(() => createCnn({ rng: createRng(1), inputShape: [784] }), OptionsError);
    assert.throws(() => createCnn({ rng: createRng(1), inputShape: [2, 2, 1] }), OptionsError);
    assert.throws(() => createMlp({ rng: createRng(1), inputShape: [0] }), OptionsError);
    assert.throws(() => createMlp({ rng: createRng(1), hiddenUnits: [200, -1] }), OptionsError);
    assert.throws(
      () => createLogisticRegression({ rng: createRng(1), numClasses: 0 }),
      OptionsError,
    );
    assert.throws(() => createZooModel("resnet" as ModelName, { rng: createRng(1) }), OptionsError);
  });
});

describe("ZooModelSelector", () => {
  it("builds identical weights for the same seed on every call, different ones for another seed", () => {
    const selector = new ZooModelSelector({ seed: 42, inputShape: [28, 28, 1] });
    assert.deepEqual(selector.names, ZOO_MODEL_NAMES);
    // The tfjs-layers zoo models are checked in layers-zoo.test.ts, on their own shapes.
    for (const name of ["mlp", "cnn", "logreg"] as const) {
      const a = selector.selectModel(name);
      const b = selector.selectModel(name);
      const c = new ZooModelSelector({ seed: 43, inputShape: [28, 28, 1] }).selectModel(name);
      const fa = serializeModel(a);
      assert.deepEqual(serializeModel(b), fa, name);
      assert.notDeepEqual(serializeModel(c), fa, name);
      // The weights come from the suite's init stream.
      const direct = createZooModel(name, {
        rng: createRngSuite(42).init,
        inputShape: [28, 28, 1],
      });
      assert.deepEqual(serializeModel(direct), fa);
      for (const m of [a, b, c, direct]) m.dispose();
    }
  });

  it("validates its options and names", () => {
    assert.throws(() => new ZooModelSelector({ seed: -1 }), OptionsError);
    assert.throws(() => new ZooModelSelector(null as never), OptionsError);
    assert.throws(
      () => new ZooModelSelector({ seed: 1 }).selectModel("vgg" as ModelName),
      OptionsError,
    );
  });
});

describe("flat parameters", () => {
  it("round-trip through serializeModel / deserializeModel and caller-provided buffers", () => {
    const m = createMlp({ rng: createRng(5), inputShape: [20], hiddenUnits: [8] });
    const original = serializeModel(m);
    const shared = new Float32Array(new SharedArrayBuffer(original.byteLength));
    assert.equal(m.getFlatParameters(shared), shared);
    assert.deepEqual([...shared], [...original]);
    const changed = original.map((v, i) => v + i);
    deserializeModel(m, changed);
    changed[0] = 1234; // the model copied its input
    const back = serializeModel(m);
    assert.equal(back[0], original[0] as number);
    assert.equal(back[5], Math.fround((original[5] as number) + 5));
    assert.throws(() => deserializeModel(m, new Float32Array(3)), OptionsError);
    assert.throws(
      () => m.setFlatParameters(new Float64Array(m.numParameters) as unknown as Float32Array),
      OptionsError,
    );
    assert.throws(() => m.getFlatParameters(new Float32Array(m.numParameters + 1)), OptionsError);
    m.dispose();
    assert.throws(() => m.getFlatParameters(), OptionsError);
  });

  it("leak no tensors", () => {
    const before = tf.memory().numTensors;
    const m = createMlp({ rng: createRng(5), inputShape: [20], hiddenUnits: [8] });
    const flat = m.getFlatParameters();
    for (let i = 0; i < 5; i++) m.setFlatParameters(flat);
    m.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
