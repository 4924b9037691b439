/**
 * The engine loads tfjs-core, its cpu backend and tfjs-layers, and not the rest of the
 * `@tensorflow/tfjs` bundle, whose loading every process would pay before round 1.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as bundle from "@tensorflow/tfjs";
import { tf } from "../../src/engine/tfjs.js";
import { modulesLoadedBy } from "../fixtures/modules-loaded.js";

const packageOf = (path: string) => /@tensorflow\/([^/]+)\//.exec(path)?.[1];

describe("engine/tfjs", { timeout: 120_000 }, () => {
  it("loads tfjs-core, tfjs-backend-cpu and tfjs-layers only", () => {
    const loaded = new Set(modulesLoadedBy("src/engine/tfjs.ts").map(packageOf));
    loaded.delete(undefined);
    assert.deepEqual([...loaded].sort(), ["tfjs-backend-cpu", "tfjs-core", "tfjs-layers"]);
    // The same probe sees the rest of the bundle when it is imported, so the check can fail.
    const all = new Set(
      modulesLoadedBy("test/fixtures/engine/import-tfjs-bundle.ts").map(packageOf),
    );
    assert.ok(all.has("tfjs-converter") && all.has("tfjs-backend-webgl"), [...all].join(", "));
  });

  it("is the bundle's own tfjs: the same functions, classes and engine", () => {
    assert.equal(tf.tensor, bundle.tensor);
    assert.equal(tf.tidy, bundle.tidy);
    assert.equal(tf.Tensor, bundle.Tensor);
    assert.equal(tf.Variable, bundle.Variable);
    assert.equal(tf.sequential, bundle.sequential);
    assert.equal(tf.layers, bundle.layers);
    const x = bundle.tensor([1, 2]);
    assert.ok(x instanceof tf.Tensor);
    assert.deepEqual(Array.from(tf.add(x, tf.scalar(1)).dataSync()), [2, 3]);
    assert.equal(tf.engine(), bundle.engine());
  });

  it("has every export of tfjs-core and tfjs-layers that the bundle has", () => {
    const missing = Object.keys(bundle).filter((k) => !(k in tf));
    // What only the converter, tfjs-data and the WebGL backend export (and the ES default).
    for (const name of missing)
      assert.ok(
        /^(default|data|version|GraphModel|deregisterOp|loadGraphModel|loadGraphModelSync|registerOp|version_converter|MathBackendCPU|shared|version_cpu|GPGPUContext|MathBackendWebGL|forceHalfFloat|gpgpu_util|setWebGLContext|version_webgl|webgl|webgl_util)$/.test(
          name,
        ),
        `tf lacks ${name}`,
      );
  });
});
