#!/usr/bin/env node
/**
 * `npm run dashboards:snapshot -w @ttc/loadtest`: the chart's Grafana dashboards drawn from real data,
 * for the README (Grafana does not run here). It starts a local cluster of sim workers and a real
 * Prometheus scraping it, sends a steady load (adaptive with the arith verifier, so prunes, cancels and
 * verifier calls happen), then runs every panel's own PromQL as a range query over the run and draws
 * the results (the report's chart page), and screenshots each dashboard with headless Chromium into
 * docs/images/dashboard-<name>.png. The `sim` backend: the figures show the dashboards work, not
 * what a real model costs.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { TtcClient } from "@ttc/client";
import { dashboards } from "@ttc/dashboards";
import { request, startPrometheus, startTestCluster } from "@ttc/test-harness";
import type { ChartPlan, ChartSpec } from "./report-charts.js";
import { renderChartPage } from "./report-html.js";

const seconds = Number(process.env["SNAPSHOT_SECONDS"] ?? 120);
const out = resolve(dirname(fileURLToPath(import.meta.url)), "../../docs/images");
const log = (m: string) => console.error(`[snapshot ${new Date().toISOString().slice(11, 19)}] ${m}`);

log("starting a cluster (3 sim workers) and Prometheus");
const c = await startTestCluster({ workers: 3, capacity: 4, env: { TTC_SIM_TOKENS_PER_SECOND: "400" } });
const prom = await startPrometheus(c.cluster.services.map((s) => new URL(String(s.ready["metricsUrl"])).host));
const client = new TtcClient(c.cluster.grpcAddress, { timeoutMs: 30_000 });
try {
  log(`steady load for ${seconds} s`);
  const started = Date.now();
  const pending = new Set<Promise<unknown>>();
  let i = 0;
  while (Date.now() - started < seconds * 1000) {
    // Two queries a second, with a short deadline now and then: some end in deadline_exceeded.
    const call = client
      .solve(
        request({
          seed: ++i,
          prompt: `sim puzzle ${i % 40}`,
          maxBranches: 8,
          parallelism: 4,
          policy: { name: "adaptive", params: {} },
          verifier: "arith",
        }),
        {
          ...(i % 25 === 0 ? { timeoutMs: 300 } : {}),
        },
      )
      .catch(() => undefined);
    pending.add(call);
    void call.finally(() => pending.delete(call));
    await new Promise((r) => setTimeout(r, 500));
  }
  await Promise.all(pending);
  await new Promise((r) => setTimeout(r, 3_000));
  const window = (Date.now() - started) / 1000;
  const browser = await chromium.launch({
    executablePath: process.env["CHROMIUM_BIN"] ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  for (const [name, build] of Object.entries(dashboards)) {
    const json = build().build();
    const charts: ChartSpec[] = [];
    const empty: ChartPlan["empty"] = [];
    for (const panel of json.panels ?? []) {
      if (!("targets" in panel) || !panel.targets?.length) continue;
      const datasets: ChartSpec["datasets"] = [];
      for (const t of panel.targets as unknown as { expr: string; legendFormat?: string }[]) {
        const series = await prom.range(t.expr.replace(/\$__rate_interval/g, "30s"), window, 2);
        for (const s of series) {
          const label = (t.legendFormat ?? "").replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => s.metric[k] ?? "") || t.expr;
          const t0 = Date.now() / 1000 - window;
          datasets.push({ label, data: s.values.map(([at, v]) => ({ x: at - t0, y: Number.isFinite(Number(v)) ? Number(v) : null })) });
        }
      }
      const id = `${name}-${charts.length + empty.length}`;
      if (datasets.length === 0) empty.push({ id, title: panel.title ?? "", reason: "the query returned no series" });
      else
        charts.push({
          id,
          title: panel.title ?? "",
          note: ("description" in panel ? panel.description : "") ?? "",
          kind: "line",
          x: { time: true, max: window },
          y: { title: ("fieldConfig" in panel ? panel.fieldConfig?.defaults?.unit : "") ?? "" },
          datasets,
        });
    }
    const html = renderChartPage(
      `Grafana dashboard "${json.title}", drawn from its own queries`,
      `<p class="meta">${json.description ?? ""} Every panel's PromQL run against a real Prometheus scraping a local ttc cluster (sim backend: synthetic traces) under ${seconds} s of steady load.</p>`,
      { charts, empty },
    );
    const file = resolve(mkdtempSync(resolve(tmpdir(), "ttc-dashboard-")), `${name}.html`);
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(`file://${file}`);
    await page.waitForFunction("window.__reportReady !== undefined");
    await page.screenshot({ path: resolve(out, `dashboard-${name}.png`), fullPage: true });
    await page.close();
    log(`wrote docs/images/dashboard-${name}.png (${charts.length} charts, ${empty.length} empty)`);
  }
  await browser.close();
} finally {
  client.close();
  await prom.stop();
  await c.stop();
}
