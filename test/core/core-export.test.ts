/**
 * `blazefl/core` is the layer without tensors: importing it in a fresh process loads no
 * TensorFlow.js module. The same probe on the whole library finds tfjs, so the check can fail.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { modulesLoadedBy, ROOT } from "../fixtures/modules-loaded.js";

describe("blazefl/core", { timeout: 120_000 }, () => {
  it("is a subpath export of the package", () => {
    const pkg = JSON.parse(readFileSync(new URL("package.json", `file://${ROOT}/`), "utf8")) as {
      exports: Record<string, { types?: string; default?: string }>;
    };
    assert.deepEqual(pkg.exports["./core"], {
      types: "./dist/core/index.d.ts",
      default: "./dist/core/index.js",
    });
  });

  it("loads no @tensorflow module, while the whole library does", () => {
    const core = modulesLoadedBy("src/core/index.ts");
    assert.deepEqual(
      core.filter((path) => path.includes("@tensorflow")),
      [],
    );
    const all = modulesLoadedBy("src/index.ts");
    assert.ok(
      all.some((path) => path.includes("@tensorflow")),
      "the probe sees tfjs when it is loaded",
    );
  });
});
