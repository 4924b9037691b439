/// <reference lib="dom" />
/**
 * Opens reports in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) and reads back what was drawn.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** What one figure drew, read from its SVG. */
export interface DrawnFigure {
  /** Data points drawn as symbols (legend symbols excluded). */
  readonly symbols: number;
  /** Line paths (one per series). */
  readonly lines: number;
  /** Bars and heatmap cells. */
  readonly rects: number;
  /** Areas (one per series). */
  readonly areas: number;
  /** The legends' labels. */
  readonly legend: readonly string[];
}

/** An open report page and what it reported while loading. */
export interface OpenReport {
  readonly page: Page;
  /** Console errors and uncaught exceptions. */
  readonly errors: readonly string[];
  /** Every URL the page requested (a self-contained report requests only itself). */
  readonly requests: readonly string[];
}

/** One browser for a test file. */
export class ReportBrowser {
  readonly #profile = mkdtempSync(join(tmpdir(), "blazefl-chromium-"));
  #context: BrowserContext | undefined;

  /** Starts Chromium (once). */
  async start(): Promise<BrowserContext> {
    if (this.#context !== undefined) return this.#context;
    this.#context = await chromium.launchPersistentContext(this.#profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    // tsx (esbuild, keepNames) wraps named functions in the callbacks passed to page.evaluate
    // with a `__name` helper that exists only in Node: give the page an identity one.
    await this.#context.addInitScript("globalThis.__name = (fn) => fn;");
    return this.#context;
  }

  /** Opens `file` and waits until every figure has been drawn (or failed). */
  async open(file: string): Promise<OpenReport> {
    const page = await (await this.start()).newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector("html[data-rendered]", { timeout: 30_000 });
    return { page, errors, requests };
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    await this.#context?.close();
    rmSync(this.#profile, { recursive: true, force: true });
  }
}

/** What each figure of the page drew, by figure name. */
export function drawnFigures(page: Page): Promise<Record<string, DrawnFigure>> {
  return page.evaluate(() => {
    const out: Record<string, DrawnFigure> = {};
    for (const figure of document.querySelectorAll<HTMLElement>("figure[data-figure]")) {
      const count = (selector: string) => figure.querySelectorAll(selector).length;
      out[figure.dataset.figure as string] = {
        symbols: count(".chart svg .mark-symbol.role-mark > path"),
        lines: count(".chart svg .mark-line.role-mark > path"),
        rects: count(".chart svg .mark-rect.role-mark > path"),
        areas: count(".chart svg .mark-area.role-mark > path"),
        legend: [...figure.querySelectorAll(".chart svg .role-legend-label text")].map(
          (t) => t.textContent ?? "",
        ),
      };
    }
    return out;
  });
}

/**
 * The rows of the first dataset of a figure's Vega view whose rows have the field `field`
 * (e.g. an aggregate such as `sum_clients`), read from the live view.
 */
export function viewData(
  page: Page,
  figure: string,
  field: string,
): Promise<Record<string, unknown>[]> {
  return page.evaluate(
    ({ figure, field }) => {
      type View = { data(name: string): Record<string, unknown>[] };
      const view = (window as unknown as { blazeflReport: { views: Record<string, View> } })
        .blazeflReport.views[figure];
      const specs = JSON.parse(document.getElementById("blazefl-figures")?.textContent ?? "[]") as {
        name: string;
        vega: { data?: { name: string }[] };
      }[];
      const spec = specs.find((s) => s.name === figure);
      if (view === undefined || spec === undefined) return [];
      for (const { name } of spec.vega.data ?? []) {
        const rows = view.data(name);
        if (rows.length > 0 && field in (rows[0] as object)) return rows.map((r) => ({ ...r }));
      }
      return [];
    },
    { figure, field },
  );
}

/**
 * Screenshots a figure's plot area (the rectangle inside its axes, from the Vega view's origin
 * and size) and counts the pixels that are clearly not white or light grid lines.
 * @param save - Also write the figure's screenshot here.
 */
export async function plotAreaInk(
  page: Page,
  figure: string,
  save?: string,
): Promise<{ readonly inked: number; readonly pixels: number }> {
  const box = await page.evaluate((figure) => {
    type View = { origin(): [number, number]; width(): number; height(): number };
    const view = (window as unknown as { blazeflReport: { views: Record<string, View> } })
      .blazeflReport.views[figure] as View;
    const svg = document.querySelector(`#figure-${figure} .chart svg`) as SVGSVGElement;
    svg.scrollIntoView();
    const r = svg.getBoundingClientRect();
    const [ox, oy] = view.origin();
    // 3 px inside the frame: its border and the axis domain lines are not the plot's ink.
    return {
      x: r.x + ox + 3,
      y: r.y + oy + 3,
      width: view.width() - 6,
      height: view.height() - 6,
    };
  }, figure);
  return inkIn(page, box, save);
}

/**
 * Counts the pixels of a page region (viewport coordinates) that are clearly not white or light
 * grid lines (any channel below 200).
 * @param save - Also write the region's screenshot here.
 */
export async function inkIn(
  page: Page,
  clip: { x: number; y: number; width: number; height: number },
  save?: string,
): Promise<{ readonly inked: number; readonly pixels: number }> {
  const png = await page.screenshot({ clip, ...(save !== undefined ? { path: save } : {}) });
  return page.evaluate(async (b64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${b64}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d") as CanvasRenderingContext2D;
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 0; i < data.length; i += 4)
      if (Math.min(data[i] as number, data[i + 1] as number, data[i + 2] as number) < 200) inked++;
    return { inked, pixels: canvas.width * canvas.height };
  }, png.toString("base64"));
}
