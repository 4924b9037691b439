/**
 * {@link vegaRuntimeSource}: the minified Vega runtime from the installed `vega` package, read
 * once per process, to be inlined into a report so it opens offline.
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

let source: string | undefined;

/** The text of `vega/build/vega.min.js`, safe to place inside a `<script>` element. */
export function vegaRuntimeSource(): string {
  if (source === undefined) {
    // The package exports only its ES module; the browser bundle sits beside it.
    const moduleFile = createRequire(import.meta.url).resolve("vega");
    const text = readFileSync(join(dirname(moduleFile), "vega.min.js"), "utf8");
    source = text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
  }
  return source;
}
