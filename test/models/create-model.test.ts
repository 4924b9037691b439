import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { OptionsError } from "../../src/core/errors.js";
import { initEngine } from "../../src/engine/init-engine.js";
import { createModel, resolveModelSpec } from "../../src/models/create-model.js";
import { LayersModelClassifier } from "../../src/models/layers-model-classifier.js";
import { SequentialClassifier } from "../../src/models/sequential-classifier.js";
import { createRng } from "../../src/reproducibility/rng.js";
import { CLASSES, SHAPE, USER_MODEL } from "../fixtures/models/train-user-model.js";

const options = { inputShape: SHAPE, numClasses: CLASSES, seed: 42 };

/** Asserts an OptionsError that names --model and matches `pattern`. */
function namesModel(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof OptionsError, String(e));
    assert.equal(e.option, "--model");
    assert.match(e.message, pattern);
    return true;
  };
}

before(async () => {
  await initEngine("cpu");
});

describe("resolveModelSpec", () => {
  it("tells zoo names from module paths and makes paths absolute", () => {
    assert.deepEqual(resolveModelSpec("lenet5"), { kind: "zoo", name: "lenet5" });
    assert.deepEqual(resolveModelSpec("./my-model.js", "--model", "/srv/run"), {
      kind: "module",
      url: "file:///srv/run/my-model.js",
      export: "default",
    });
    assert.deepEqual(resolveModelSpec({ module: "/a/b.mjs", export: "build" }), {
      kind: "module",
      url: "file:///a/b.mjs",
      export: "build",
    });
    const resolved = resolveModelSpec("model.ts", "--model", "/x");
    assert.deepEqual(resolveModelSpec(resolved), resolved, "a resolved spec passes through");
  });

  it("rejects what is neither, naming --model", () => {
    for (const bad of ["resnet", "", 42, null, { module: "" }, { module: "a.js", export: 3 }])
      assert.throws(() => resolveModelSpec(bad), OptionsError);
    assert.throws(() => resolveModelSpec("vgg16"), namesModel(/lenet5/));
  });
});

describe("createModel", () => {
  it("builds zoo models and user modules as TrainableModels", async () => {
    const mlp = await createModel("mlp", { inputShape: [12], numClasses: 3, seed: 1 });
    assert.ok(mlp instanceof SequentialClassifier);
    const lenet = await createModel("lenet5", { inputShape: [32, 32, 3], numClasses: 10, seed: 1 });
    assert.ok(lenet instanceof LayersModelClassifier);
    assert.equal(lenet.numParameters, 62_006);
    const user = await createModel(USER_MODEL, options);
    const again = await createModel(resolveModelSpec(USER_MODEL), options);
    assert.deepEqual(user.getFlatParameters(), again.getFlatParameters(), "seeded");
    for (const m of [mlp, lenet, user, again]) m.dispose();
  });

  it("loads a module by relative path and named export", async () => {
    const dir = await mkdtemp(join(tmpdir(), "blazefl-model-"));
    const tfUrl = import.meta.resolve("@tensorflow/tfjs");
    await writeFile(
      join(dir, "tiny.mjs"),
      `import * as tf from ${JSON.stringify(tfUrl)};
export function build(shape, k) {
  return tf.sequential({ layers: [tf.layers.dense({ inputShape: shape, units: k })] });
}`,
    );
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const m = await createModel(
        { module: "./tiny.mjs", export: "build" },
        {
          inputShape: [4],
          numClasses: 2,
          seed: 3,
        },
      );
      assert.equal(m.numParameters, 10);
      m.dispose();
    } finally {
      process.chdir(cwd);
    }
  });

  it("rejects a bad path, a missing export and a wrong output, naming --model", async () => {
    await assert.rejects(createModel("./no/such/model.js", options), namesModel(/no\/such/));
    await assert.rejects(
      createModel({ ...USER_MODEL, export: "missing" }, options),
      namesModel(/has no export missing/),
    );
    await assert.rejects(
      createModel({ ...USER_MODEL, export: "notABuilder" }, options),
      namesModel(/export notABuilder is a number/),
    );
    await assert.rejects(
      createModel({ ...USER_MODEL, export: "threeOutputs" }, options),
      namesModel(/\[batch, 3\].*\[batch, 5\]|\[batch, 5\].*\[batch, 3\]/),
    );
    const model = (await createModel(USER_MODEL, options)) as LayersModelClassifier;
    assert.throws(
      () => new LayersModelClassifier(model.model, { rng: createRng(1), inputShape: [5, 5, 2] }),
      OptionsError,
      "an input shape the model was not built for",
    );
    model.dispose();
    const url = pathToFileURL(join(tmpdir(), "blazefl-not-there.mjs")).href;
    await assert.rejects(createModel({ module: url }, options), namesModel(/not-there/));
  });
});
