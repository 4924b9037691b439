/**
 * {@link vegaRuntimeSource}: the minified Vega runtime from the installed `vega` package, read
 * once per process, to be inlined into a report so it opens offline.
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let source: string | undefined;

/** The text of `vega/build/vega.min.js`, safe to place inside a `<script>` element. */
export function vegaRuntimeSource(): string {
  if (source === undefined) {
    // The package exports only its ES module; the browser bundle sits beside it.
    const moduleFile = fileURLToPath(import.meta.resolve("vega"));
    const text = readFileSync(join(dirname(moduleFile), "vega.min.js"), "utf8");
    source = text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
  }
  return source;
}
