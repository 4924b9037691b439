/**
 * tfjs as this code base uses it: `@tensorflow/tfjs-core`, its `cpu` backend and
 * `@tensorflow/tfjs-layers`, loaded through `require`. Every process loads it, the parent and
 * each pool worker, before round 1 can start, so its cost is start-up that users wait for:
 * - An ES `import` of these CommonJS packages makes Node scan their source (about 5 MB) for
 *   export names before running it; `require` does not (about 0.2 s of CPU less per process).
 * - The `@tensorflow/tfjs` bundle also loads the converter, tfjs-data and the WebGL backend,
 *   none of which runs here (about 0.1 s more).
 *
 * These are the same module instances that a user's `import * as tf from "@tensorflow/tfjs"`
 * gets, so models and tensors pass between the two. Code here takes tfjs's values from
 * {@link tf} and its types from `import type { … } from "@tensorflow/tfjs"`.
 *
 * @module
 */

import { createRequire } from "node:module";
import type * as Core from "@tensorflow/tfjs-core";
import type * as Layers from "@tensorflow/tfjs-layers";

const require = createRequire(import.meta.url);
const core: typeof Core = require("@tensorflow/tfjs-core");
require("@tensorflow/tfjs-backend-cpu"); // registers the "cpu" backend
const layers: typeof Layers = require("@tensorflow/tfjs-layers");

/**
 * tfjs-core's and tfjs-layers' exports, as `@tensorflow/tfjs` has them. Exported for the modules
 * of users' algorithms and models: every pool worker imports those, and
 * `import * as tf from "@tensorflow/tfjs"` there costs each worker about 0.2 s more at start-up.
 * Take tfjs's types from `import type { Tensor } from "@tensorflow/tfjs"`, which costs nothing.
 * @example
 * ```ts
 * import type { Tensor } from "@tensorflow/tfjs";
 * import { tf } from "blazefl";
 * const term = (w: Tensor, x: Tensor) => tf.mul(tf.sub(w, x), 0.1);
 * ```
 */
export const tf: Omit<typeof Core, "default"> & Omit<typeof Layers, "default"> = {
  ...core,
  ...layers,
};
