/**
 * Opens a report in headless Chromium (Debian's `chromium`, driven by playwright-core) and reports
 * what the page drew: `window.__reportReady`, per canvas how many pixels are painted and how many
 * data points its chart holds, and every console error or uncaught exception.
 */
import { chromium, type Browser } from "playwright-core";

/** Where Debian installs it (`scripts/setup.sh` does); `CHROMIUM_BIN` points elsewhere. */
export const chromiumPath = process.env["CHROMIUM_BIN"] ?? "/usr/bin/chromium";

export interface RenderedReport {
  ready: { charts: number; empty: string[] };
  canvases: Array<{ id: string; paintedPixels: number; points: number }>;
  errors: string[];
}

/** What the test reads of the page's globals (the test's typings have no DOM library). */
interface PageGlobals {
  __reportReady?: RenderedReport["ready"];
  Chart: { instances: Record<string, { canvas: unknown; data: { datasets: Array<{ data: unknown[] }> } }> };
  document: { querySelectorAll(selector: "canvas"): Iterable<Canvas> };
}

interface Canvas {
  id: string;
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu"] });
}

export async function renderReport(browser: Browser, file: string): Promise<RenderedReport> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  // The page must not reach for the network: every request but the file itself is refused and recorded.
  await page.route(/^(?!file:)/, (route) => {
    errors.push(`network request: ${route.request().url()}`);
    return route.abort();
  });
  try {
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__reportReady !== undefined, undefined, { timeout: 10_000 });
    const drawn = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      const charts = Object.values(g.Chart.instances);
      const canvases = [...g.document.querySelectorAll("canvas")].map((canvas) => {
        const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        const chart = charts.find((c) => c.canvas === canvas);
        const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0) : 0;
        return { id: canvas.id, paintedPixels: painted, points };
      });
      return { ready: g.__reportReady!, canvases };
    });
    return { ...drawn, errors };
  } finally {
    await page.close();
  }
}
