import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { once } from "node:events";
import { before, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../src/core/errors.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { createModel } from "../../src/models/create-model.js";
import { LayersModelClassifier } from "../../src/models/layers-model-classifier.js";
import { SgdOptimizer } from "../../src/models/sgd-optimizer.js";
import { createRng } from "../../src/reproducibility/rng.js";
import {
  CLASSES,
  SHAPE,
  trainUserModel,
  USER_MODEL,
  userBatches,
} from "../fixtures/models/train-user-model.js";
import buildUserModel, { softmaxModel, withDropout } from "../fixtures/models/user-model.js";

const fixtures = new URL("../fixtures/models/", import.meta.url);

// Loaders given with --import do not reach worker threads: register tsx there first.
const THREAD_BOOT = `
const { workerData } = require("node:worker_threads");
(async () => {
  const api = await import(workerData.tsxApi);
  (api.register ?? api.default.register)();
  await import(workerData.entry);
})().catch((error) => setImmediate(() => { throw error; }));
`;

type Digest = { sha256: string; losses: number[] };

async function inWorkerThread(device: string): Promise<Digest> {
  const worker = new Worker(THREAD_BOOT, {
    eval: true,
    workerData: {
      device,
      tsxApi: import.meta.resolve("tsx/esm/api"),
      entry: new URL("train-user-worker.ts", fixtures).href,
    },
  });
  const [message] = (await once(worker, "message")) as [Digest];
  await worker.terminate();
  return message;
}

async function inChildProcess(device: string): Promise<Digest> {
  const child = fork(new URL("train-user-child.ts", fixtures), [device], {
    serialization: "advanced",
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const [message] = (await once(child, "message")) as [Digest];
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  return message;
}

before(async () => {
  await initEngine("cpu");
});

describe("LayersModelClassifier", () => {
  it("trains a user's model to the same sha256 in the main thread, a worker thread and a child process", async () => {
    const main = await trainUserModel("cpu");
    assert.match(main.sha256, /^[0-9a-f]{64}$/);
    assert.ok(main.losses.every(Number.isFinite));
    assert.ok((main.losses.at(-1) as number) < (main.losses[0] as number), "the loss goes down");
    assert.deepEqual(await trainUserModel("cpu"), main, "repeatable in one thread");
    const [thread, child] = await Promise.all([inWorkerThread("cpu"), inChildProcess("cpu")]);
    assert.deepEqual(thread, main, "worker thread");
    assert.deepEqual(child, main, "child process");
  });

  it("lays its flat vector out layer by layer, batch-norm statistics included", async () => {
    const model = (await createModel(USER_MODEL, {
      inputShape: SHAPE,
      numClasses: CLASSES,
      seed: 1,
    })) as LayersModelClassifier;
    assert.deepEqual(
      model.parameterInfo.map((p) => [p.name, p.shape, p.trainable]),
      [
        ["conv.kernel", [3, 3, 2, 4], true],
        ["conv.bias", [4], true],
        ["bn.gamma", [4], true],
        ["bn.beta", [4], true],
        ["bn.moving_mean", [4], false],
        ["bn.moving_variance", [4], false],
        ["fc.kernel", [144, 5], true],
        ["fc.bias", [5], true],
      ],
    );
    assert.equal(model.numParameters, 72 + 4 + 16 + 720 + 5);
    assert.equal(model.numTrainableParameters, model.numParameters - 8);
    const flat = model.getFlatParameters();
    const part = (name: string) => {
      const p = model.parameterInfo.find((q) => q.name === name);
      assert.ok(p);
      return [...flat.subarray(p.offset, p.offset + p.size)];
    };
    // Initialisers as the layers name them: zeros, ones, heUniform bounds.
    assert.deepEqual(part("conv.bias"), [0, 0, 0, 0]);
    assert.deepEqual(part("bn.gamma"), [1, 1, 1, 1]);
    assert.deepEqual(part("bn.moving_variance"), [1, 1, 1, 1]);
    const bound = Math.sqrt(6 / 18);
    assert.ok(part("conv.kernel").every((v) => Math.abs(v) <= bound && v !== 0));
    // A training step moves the running statistics (FedAvg then averages them).
    model.trainStep(userBatches(3, 1, 8)[0] as never, new SgdOptimizer({ lr: 0.1 }));
    const after = model.getFlatParameters();
    const mm = model.parameterInfo[4] as { offset: number; size: number };
    assert.notDeepEqual(
      [...after.subarray(mm.offset, mm.offset + mm.size)],
      [...flat.subarray(mm.offset, mm.offset + mm.size)],
    );
    model.dispose();
  });

  it("adds the gradient term of each parameter index before the update", async () => {
    const model = (await createModel(USER_MODEL, {
      inputShape: SHAPE,
      numClasses: CLASSES,
      seed: 2,
    })) as LayersModelClassifier;
    const [batch] = userBatches(4, 1, 8);
    assert.ok(batch);
    const w0 = model.getFlatParameters();
    const { gradients } = model.computeGradients(batch);
    assert.deepEqual(model.getFlatParameters(), w0, "computeGradients changes nothing");
    const lr = 0.1;
    const optimizer = new SgdOptimizer({ lr });
    // Term: the parameter's index, so a term applied to the wrong weight shows.
    model.trainStep(batch, optimizer, (i, w) => tf.fill(w.shape, i / 10));
    const w1 = model.getFlatParameters();
    for (const [i, p] of model.parameterInfo.entries()) {
      if (!p.trainable) continue;
      for (let k = p.offset; k < p.offset + p.size; k++) {
        const expected = (w0[k] as number) - lr * ((gradients[k] as number) + i / 10);
        assert.ok(Math.abs((w1[k] as number) - expected) < 1e-5, `${p.name}[${k - p.offset}]`);
      }
    }
    optimizer.dispose();
    model.dispose();
  });

  it("leaks no tensor over many steps and evaluations", async () => {
    const model = await createModel(USER_MODEL, {
      inputShape: SHAPE,
      numClasses: CLASSES,
      seed: 3,
    });
    const optimizer = new SgdOptimizer({ lr: 0.01, momentum: 0.9 });
    const data = userBatches(5, 4, 8);
    const step = (i: number) => model.trainStep(data[i % 4] as never, optimizer);
    step(0); // creates the momentum buffers
    const start = tf.memory().numTensors;
    for (let i = 1; i < 40; i++) step(i);
    const result = model.evaluate(data);
    assert.equal(result.count, 32);
    assert.ok(result.accuracy >= 0 && result.accuracy <= 1 && Number.isFinite(result.loss));
    assert.equal(tf.memory().numTensors, start);
    optimizer.dispose();
    model.dispose();
  });

  it("trains a model that ends in a softmax on its log-probabilities", () => {
    const model = new LayersModelClassifier(softmaxModel(SHAPE, CLASSES), { rng: createRng(1) });
    const optimizer = new SgdOptimizer({ lr: 0.5 });
    const [batch] = userBatches(6, 1, 16);
    assert.ok(batch);
    const first = model.trainStep(batch, optimizer);
    const { loss } = model.evaluate([batch]);
    assert.ok(Math.abs(first - Math.log(CLASSES)) < 0.5, `first loss ${first}`);
    assert.ok(loss < first, "one step lowers the loss on its batch");
    optimizer.dispose();
    model.dispose();
  });

  it("refuses layers that draw unseeded random numbers, naming the option", () => {
    assert.throws(
      () =>
        new LayersModelClassifier(withDropout(SHAPE, CLASSES), {
          rng: createRng(1),
          option: "--model",
        }),
      (e: unknown) =>
        e instanceof OptionsError && e.option === "--model" && /Dropout/.test(e.message),
    );
  });

  it("gives the same losses on the wasm engine as on the native one", async () => {
    const native = await trainUserModel("cpu");
    const wasm = await trainUserModel("cpu-wasm");
    await initEngine("cpu");
    assert.equal(wasm.losses.length, native.losses.length);
    for (const [i, l] of wasm.losses.entries())
      assert.ok(
        Math.abs(l - (native.losses[i] as number)) < 1e-3,
        `step ${i}: ${l} vs ${native.losses[i]}`,
      );
  });

  it("builds the user model straight from its function too", () => {
    const a = new LayersModelClassifier(buildUserModel(SHAPE, CLASSES), { rng: createRng(9) });
    const b = new LayersModelClassifier(buildUserModel(SHAPE, CLASSES), { rng: createRng(9) });
    const c = new LayersModelClassifier(buildUserModel(SHAPE, CLASSES), { rng: createRng(10) });
    assert.deepEqual(a.getFlatParameters(), b.getFlatParameters());
    assert.notDeepEqual(a.getFlatParameters(), c.getFlatParameters());
    for (const m of [a, b, c]) m.dispose();
  });
});
