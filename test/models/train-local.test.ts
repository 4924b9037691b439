import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { AbortError, OptionsError } from "../../src/core/errors.js";
import type { Batch } from "../../src/core/partitioned-dataset.js";
import { AtomicStopEvent, type StopEvent } from "../../src/core/stop-event.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { createMlp } from "../../src/models/mlp.js";
import { SgdOptimizer } from "../../src/models/sgd-optimizer.js";
import { trainLocal } from "../../src/models/train-local.js";
import { createRng } from "../../src/reproducibility/rng.js";
import { randomBatch } from "./model-helpers.js";

before(async () => {
  await initEngine("cpu");
});

const data = (() => {
  const rng = createRng(31);
  return [randomBatch(rng, 4, [10], 3), randomBatch(rng, 4, [10], 3), randomBatch(rng, 2, [10], 3)];
})();
const makeModel = () =>
  createMlp({ rng: createRng(8), inputShape: [10], hiddenUnits: [6], numClasses: 3 });

describe("trainLocal", () => {
  it("runs every epoch over that epoch's batches and reports the mean loss and the samples", () => {
    const model = makeModel();
    const epochs: number[] = [];
    const r = trainLocal(
      model,
      (epoch) => {
        epochs.push(epoch);
        return epoch % 2 === 0 ? data : data.slice(0, 1);
      },
      { epochs: 3, lr: 0.05 },
    );
    assert.deepEqual(epochs, [0, 1, 2]);
    assert.equal(r.samples, 10 + 4 + 10);
    assert.equal(r.steps, 7);
    assert.ok(Number.isFinite(r.loss) && r.loss > 0);
    const none = trainLocal(model, () => [], { epochs: 2, lr: 0.05 });
    assert.equal(none.samples, 0);
    assert.ok(Number.isNaN(none.loss));
    assert.equal(trainLocal(model, () => data, { epochs: 0, lr: 0.05 }).steps, 0);
    model.dispose();
  });

  it("weights the loss by batch size, like the step losses it averages", () => {
    const a = makeModel();
    const b = makeModel();
    const r = trainLocal(a, () => data, { epochs: 1, lr: 0.05 });
    // Replay with the public step API: the same arithmetic in the same order.
    let sum = 0;
    const opt = new SgdOptimizer({ lr: 0.05 });
    for (const batch of data) sum += b.trainStep(batch, opt) * batch.size;
    opt.dispose();
    assert.equal(r.loss, sum / 10);
    assert.deepEqual(a.getFlatParameters(), b.getFlatParameters());
    a.dispose();
    b.dispose();
  });

  it("starts each call from a fresh optimizer state (momentum does not leak across clients)", () => {
    const model = makeModel();
    const start = model.getFlatParameters();
    const options = { epochs: 2, lr: 0.05, momentum: 0.9, weightDecay: 1e-3 };
    trainLocal(model, () => data, options);
    const first = model.getFlatParameters();
    model.setFlatParameters(start);
    trainLocal(model, () => data, options);
    assert.deepEqual(model.getFlatParameters(), first);
    model.dispose();
  });

  it("stops between batches when the stop event is set, freeing its tensors", () => {
    const before = tf.memory().numTensors;
    const model = makeModel();
    const initial = model.getFlatParameters();
    const stop = new AtomicStopEvent();
    stop.set();
    assert.throws(
      () => trainLocal(model, () => data, { epochs: 1, lr: 0.1, stopEvent: stop }),
      AbortError,
    );
    assert.deepEqual(model.getFlatParameters(), initial, "no step ran");
    let checks = 0;
    const afterTwo: StopEvent = { isSet: () => ++checks > 2, set() {}, clear() {} };
    assert.throws(
      () =>
        trainLocal(model, () => data, { epochs: 1, lr: 0.1, momentum: 0.5, stopEvent: afterTwo }),
      AbortError,
    );
    assert.equal(checks, 3);
    assert.notDeepEqual(model.getFlatParameters(), initial, "two steps ran");
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it("validates its arguments, naming the bad one", () => {
    const model = makeModel();
    const cases: [unknown, unknown, string][] = [
      [() => data, { epochs: -1, lr: 0.1 }, "epochs"],
      [() => data, { epochs: 1.5, lr: 0.1 }, "epochs"],
      [() => data, { epochs: 1, lr: 0 }, "lr"],
      [() => data, { epochs: 1, lr: 0.1, momentum: 2 }, "momentum"],
      [() => data, { epochs: 1, lr: 0.1, stopEvent: {} }, "stopEvent"],
      [data, { epochs: 1, lr: 0.1 }, "batchesOf"],
      [() => data, null, "options"],
    ];
    for (const [batches, options, option] of cases)
      assert.throws(
        () => trainLocal(model, batches as (e: number) => Iterable<Batch>, options as never),
        (e: unknown) => e instanceof OptionsError && e.option === option,
        option,
      );
    model.dispose();
  });
});
