import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { OptionsError } from "../../../src/core/errors.js";
import { initEngine } from "../../../src/engine/init-engine.js";
import { GroupNormalization } from "../../../src/models/zoo/group-normalization.js";
import { createRng } from "../../../src/reproducibility/rng.js";

before(async () => {
  await initEngine("cpu");
});

describe("GroupNormalization", () => {
  it("normalises each sample over its spatial positions and the channels of a group", () => {
    const [n, h, w, c, groups] = [2, 3, 2, 4, 2];
    const rng = createRng(1);
    const values = Float32Array.from({ length: n * h * w * c }, () => rng.normal(1, 3));
    const layer = new GroupNormalization({ groups, epsilon: 1e-5 });
    const out = tf.tidy(() => {
      const y = layer.apply(tf.tensor(values, [n, h, w, c])) as tf.Tensor;
      return y.dataSync() as Float32Array;
    });
    const per = c / groups;
    for (let s = 0; s < n; s++)
      for (let g = 0; g < groups; g++) {
        const members: number[] = [];
        for (let p = 0; p < h * w; p++)
          for (let k = g * per; k < (g + 1) * per; k++) members.push(s * h * w * c + p * c + k);
        const mean = members.reduce((a, i) => a + (values[i] as number), 0) / members.length;
        const variance =
          members.reduce((a, i) => a + ((values[i] as number) - mean) ** 2, 0) / members.length;
        for (const i of members) {
          const expected = ((values[i] as number) - mean) / Math.sqrt(variance + 1e-5);
          assert.ok(Math.abs((out[i] as number) - expected) < 1e-4, `sample ${s} group ${g}`);
        }
      }
    assert.deepEqual(
      layer.weights.map((v) => v.originalName.split("/").at(-1)),
      ["gamma", "beta"],
    );
    layer.dispose();
  });

  it("rejects a group count that does not divide the channels", () => {
    const layer = new GroupNormalization({ groups: 3 });
    assert.throws(() => layer.apply(tf.input({ shape: [4, 4, 4] })), OptionsError);
    assert.throws(() => new GroupNormalization({ groups: 0 }), OptionsError);
  });
});
