/**
 * {@link reportPageHtml}: the self-contained HTML page of a report: styles, the Vega runtime and
 * every figure's spec and data inline, nothing fetched, so it opens from a file anywhere.
 * @module
 */
import type { Spec } from "vega";
import { escapeHtml } from "./escape-html.js";
import type { Figure } from "./figure.js";
import { vegaRuntimeSource } from "./vega-runtime.js";

/** What a page shows. */
export interface ReportPage {
  /** The page title and heading. */
  readonly title: string;
  /** One line under the heading (what the report is of). */
  readonly subtitle: string;
  /** Figures with their compiled Vega specs, in page order. */
  readonly figures: readonly { readonly figure: Figure; readonly vega: Spec }[];
  /** HTML placed after the figures (the summary table); trusted, already escaped. */
  readonly tableHtml?: string;
  /** Notes shown above the figures (e.g. a partition that could not be recomputed). */
  readonly notes?: readonly string[];
  /** Reload the page every so many seconds (a report a running run rewrites). */
  readonly refreshSeconds?: number;
}

const STYLE = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1480px;color:#222;padding:0 16px}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(680px,1fr));gap:0 20px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:16px;margin:0 0 6px}
.subtitle{color:#555;margin-top:0}
.note{background:#fff4e5;border-left:4px solid #f58518;padding:6px 10px;margin:8px 0}
figure{margin:14px 0;padding:12px;border:1px solid #e5e5e5;border-radius:6px;overflow-x:auto}
figcaption{color:#555;font-size:13px;margin-top:6px}
.save{font-size:12px;float:right}.save button{margin-left:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}thead th{background:#f5f5f5}
td{font-variant-numeric:tabular-nums}details{margin:6px 0}
`;

// Draws every figure with Vega's SVG renderer; window.blazeflReport records views and errors
// (tests and people read it from the console), and <html data-rendered> says it is done.
const SCRIPT = `
(async () => {
  const state = (window.blazeflReport = { views: {}, errors: [], done: false });
  const figures = JSON.parse(document.getElementById("blazefl-figures").textContent);
  for (const f of figures) {
    const box = document.getElementById("figure-" + f.name);
    const chart = box.querySelector(".chart");
    try {
      const view = new vega.View(vega.parse(f.vega), { renderer: "svg", container: chart, hover: true });
      await view.runAsync();
      state.views[f.name] = view;
      for (const button of box.querySelectorAll("button[data-format]"))
        button.addEventListener("click", async () => {
          const url = await view.toImageURL(button.dataset.format, button.dataset.format === "png" ? 2 : 1);
          const a = document.createElement("a");
          a.href = url;
          a.download = f.name + "." + button.dataset.format;
          a.click();
        });
    } catch (error) {
      state.errors.push(f.name + ": " + error);
      chart.textContent = "This figure could not be drawn: " + error;
      console.error(error);
    }
  }
  state.done = true;
  document.documentElement.dataset.rendered = "true";
})();
`;

/** JSON that is safe inside a `<script>` element (no `</script>`, no `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** The page's HTML. */
export function reportPageHtml(page: ReportPage): string {
  const figures = page.figures
    .map(
      ({ figure }) =>
        `<figure id="figure-${escapeHtml(figure.name)}" data-figure="${escapeHtml(figure.name)}">` +
        `<span class="save">save <button type="button" data-format="svg">SVG</button><button type="button" data-format="png">PNG</button></span>` +
        `<h2>${escapeHtml(figure.title)}</h2><div class="chart"></div>` +
        `<figcaption>${escapeHtml(figure.caption)}</figcaption></figure>`,
    )
    .join("\n");
  const notes = (page.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("\n");
  const data = page.figures.map(({ figure, vega }) => ({ name: figure.name, vega }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${page.refreshSeconds !== undefined ? `<meta http-equiv="refresh" content="${Math.max(1, Math.round(page.refreshSeconds))}">\n` : ""}<meta name="generator" content="blazefl report">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p class="subtitle">${escapeHtml(page.subtitle)}</p>
${notes}
<main class="figures">
${figures}
</main>
<section id="summary"><h2>Summary</h2>
${page.tableHtml ?? ""}
</section>
<script>${vegaRuntimeSource()}</script>
<script type="application/json" id="blazefl-figures">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
