/**
 * tfjs, loaded once through `require`. Its packages are CommonJS, and an ES `import` of them
 * makes Node scan about 5 MB of their source for export names before it runs them: about 0.2 s
 * of CPU in every process, the parent's and each pool worker's, all of it on the path to round 1.
 * `require` skips the scan, and it is the same module instance that an `import` elsewhere (a
 * user's script, a test) gets. Code here takes tfjs's values from {@link tf} and its types from
 * `import type { … } from "@tensorflow/tfjs"`.
 *
 * @module
 */

import { createRequire } from "node:module";
import type * as Tfjs from "@tensorflow/tfjs";

/** The `@tensorflow/tfjs` module (see the module's note on why not `import * as tf`). */
export const tf: typeof Tfjs = createRequire(import.meta.url)("@tensorflow/tfjs");
