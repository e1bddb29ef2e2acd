import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrometheus, startTestCluster, type PrometheusFixture, type TestCluster } from "@ttc/test-harness";
import { OK, renderHtmlComparison, renderHtmlReport, runLoad, type LoadResults, type MetricsTarget } from "../src/mod.js";
import { prometheusSeries } from "../src/prometheus-api.js";
import { parseExposition } from "../src/prometheus-text.js";
import { launchChromium, renderReport } from "./chromium.js";

/**
 * One short real run: Poisson arrivals at 4/s, 24 queries, through a real scheduler, NATS, sim
 * workers and verifier, with every service's metrics scraped; then its reports in headless Chromium.
 */
describe("a load test against a real cluster", () => {
  let c: TestCluster;
  let prom: PrometheusFixture;
  let browser: Browser;
  let targets: MetricsTarget[];
  let r: LoadResults;
  const dir = mkdtempSync(join(tmpdir(), "ttc-loadtest-"));

  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, env: { TTC_SIM_TOKENS_PER_SECOND: "3000" } });
    targets = c.cluster.services.map((s) => ({ name: s.name, url: String(s.ready["metricsUrl"]) }));
    prom = await startPrometheus(targets.map((t) => new URL(t.url).host));
    browser = await launchChromium();
    // Ready is not scraping: Prometheus passes new targets to its scrapers up to 5 s after it starts, and a
    // run of a few seconds can end before a target's first sample. Wait until every target has been scraped.
    for (const end = Date.now() + 30_000; (await prom.value("count(up == 1)")) !== targets.length;) {
      if (Date.now() > end) throw new Error("prometheus did not scrape every target within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    r = await runLoad({
      addr: c.cluster.grpcAddress,
      metrics: targets,
      scenario: {
        name: "cluster-test",
        load: { arrival: "poisson", rate: 4, queries: 24, seed: 5 },
        request: {
          prompts: { template: "How many marbles are left in sim puzzle {i}?" },
          maxBranches: 8,
          parallelism: 4,
          verifier: "arith",
        },
        mix: [
          { name: "adaptive", weight: 3, policy: { name: "adaptive", params: {} } },
          { name: "majority", weight: 2, policy: { name: "majority", params: {} }, mode: "all-parallel", tenant: "t2" },
          // A deadline no query can meet: real DEADLINE_EXCEEDED errors for the accounting and the error chart.
          { name: "impatient", weight: 1, deadlineMs: 1 },
        ],
      },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await prom?.stop();
    await c?.stop();
  });

  it("counts every query once, by template, answered or by status", () => {
    expect(r.queries.map((q) => q.index)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(Object.values(r.summary.outcomes).reduce((a, b) => a + b)).toBe(24);
    const t = r.summary.byTemplate;
    expect(t["adaptive"]!.queries + t["majority"]!.queries + t["impatient"]!.queries).toBe(24);
    expect(t["adaptive"]!.answered).toBe(t["adaptive"]!.queries);
    expect(t["majority"]!.answered).toBe(t["majority"]!.queries);
    expect(t["impatient"]!.queries).toBeGreaterThan(0);
    expect(t["impatient"]!.errors).toEqual({ DEADLINE_EXCEEDED: t["impatient"]!.queries });
    expect(r.queries.filter((q) => q.template === "majority").every((q) => q.tenant === "t2")).toBe(true);
    expect(r.summary.tokensPerQuery).toBeGreaterThan(0);
    expect(Object.values(r.summary.stopReasons).reduce((a, b) => a + b)).toBe(r.summary.answered);
  });

  it("agrees with the scheduler's own count of answered queries", async () => {
    const m = parseExposition(await (await fetch(targets.find((t) => t.name === "scheduler")!.url)).text());
    const answered = m.samples
      .filter((s) => s.name === "ttc_scheduler_queries_total" && /outcome="(answered|no_answer)"/.test(s.labels))
      .reduce((n, s) => n + s.value, 0);
    expect(answered).toBe(r.summary.answered);
  });

  it("its time series add up to the summary", () => {
    const ts = r.timeSeries;
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    expect(sum(ts.offered)).toBe(24);
    expect(sum(ts.answered)).toBe(r.summary.answered);
    expect(sum(ts.errors["DEADLINE_EXCEEDED"]!)).toBe(r.summary.errors["DEADLINE_EXCEEDED"]);
    expect(sum(ts.tokens)).toBe(r.queries.reduce((n, q) => n + (q.outcome === OK ? q.result!.generatedTokens : 0), 0));
    expect(ts.inFlight.at(-1)).toBe(0);
  });

  it("sampled every service's CPU, memory, event-loop delay and the scheduler's gauges", () => {
    expect(r.services.source).toBe("scrape");
    expect(r.services.series.map((s) => s.name).sort()).toEqual(targets.map((t) => t.name).sort());
    for (const s of r.services.series) {
      expect(s.samples, s.name).toBeGreaterThanOrEqual(2);
      expect(s.cpuCores.length, s.name).toBeGreaterThan(0);
      expect(
        s.residentBytes.every(([, v]) => v > 0),
        s.name,
      ).toBe(true);
      expect(s.eventLoopLagP99Seconds.length, s.name).toBeGreaterThan(0);
    }
    const scheduler = r.services.series.find((s) => s.name === "scheduler")!;
    expect(Object.keys(scheduler.gauges)).toContain("ttc_scheduler_queries_in_flight");
    expect(r.summary.services["scheduler"]!.residentBytesMax).toBeGreaterThan(0);
  });

  it("reads the same service series back from Prometheus", async () => {
    const from = Date.parse(r.startedAt);
    const series = await prometheusSeries(prom.url, { fromMs: from, toMs: from + r.summary.durationSeconds * 1000, targets });
    expect(series.map((s) => s.name).sort()).toEqual(targets.map((t) => t.name).sort());
    for (const s of series) {
      expect(s.residentBytes.length, s.name).toBeGreaterThan(0);
      expect(
        s.residentBytes.every(([, v]) => v > 0),
        s.name,
      ).toBe(true);
    }
    expect(Object.keys(series.find((s) => s.name === "scheduler")!.gauges)).toContain("ttc_scheduler_queries_in_flight");
  });

  it("its HTML report draws every chart with data in headless Chromium, with no console error and no network", async () => {
    const file = join(dir, "report.html");
    writeFileSync(file, renderHtmlReport(r));
    const page = await renderReport(browser, file);
    expect(page.errors).toEqual([]);
    expect(page.ready.empty).toEqual([]);
    expect(page.ready.charts).toBe(11);
    expect(page.canvases).toHaveLength(11);
    for (const canvas of page.canvases) {
      expect(canvas.points, canvas.id).toBeGreaterThan(0);
      expect(canvas.paintedPixels, canvas.id).toBeGreaterThan(1000);
    }
  });

  it("a report without service metrics says so instead of drawing empty charts; the comparison page draws too", async () => {
    const bare: LoadResults = { ...r, services: { source: "none", series: [] }, summary: { ...r.summary, services: {} } };
    const file = join(dir, "bare.html");
    writeFileSync(file, renderHtmlReport(bare));
    const page = await renderReport(browser, file);
    expect(page.errors).toEqual([]);
    expect(page.ready.empty).toEqual(["service-cpu", "service-memory", "service-event-loop", "service-gauges"]);
    expect(page.canvases.every((c) => c.points > 0 && c.paintedPixels > 1000)).toBe(true);

    const compared = join(dir, "compare.html");
    writeFileSync(compared, renderHtmlComparison(r, bare, ["a", "b"]));
    const comparison = await renderReport(browser, compared);
    expect(comparison.errors).toEqual([]);
    expect(comparison.ready).toEqual({ charts: 3, empty: [] });
  });
});
