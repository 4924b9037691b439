/**
 * {@link compileFigure}: Vega-Lite to Vega, done in Node when the report is written, so the page
 * carries only the Vega runtime (about 0.5 MB) and not the Vega-Lite compiler as well.
 * @module
 */
import type { Spec } from "vega";
import { compile } from "vega-lite";
import type { Figure } from "./figure.js";

/**
 * The Vega spec of a figure, ready for `vega.parse`.
 * @throws Error naming the figure when Vega-Lite rejects its spec (a bug in the report, exit 1).
 */
export function compileFigure(figure: Figure): Spec {
  try {
    return compile(figure.spec).spec;
  } catch (error) {
    throw new Error(`Figure ${figure.name} could not be compiled: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
