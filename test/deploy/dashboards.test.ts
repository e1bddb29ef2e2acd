/**
 * The chart's dashboards and alerts against real data: a cluster scraped by a real Prometheus runs
 * queries (a verifier, prunes and cancels included), then every PromQL expression of every dashboard
 * panel and every alert rule is evaluated there. Each must parse; each panel must return data; every
 * ttc metric an expression names must be one the services export. The chart's dashboard JSON must be
 * what packages/dashboards generates.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dashboardJson, dashboards, panelQueries } from "@ttc/dashboards";
import { request, startPrometheus, startTestCluster, type PrometheusFixture, type TestCluster } from "@ttc/test-harness";
import { chartDir } from "./helm.js";

type DashboardName = keyof typeof dashboards;
const names = Object.keys(dashboards) as DashboardName[];
/** Grafana's interval variables, as Grafana would set them for a 1 s scrape. */
const asPrometheus = (expr: string) => expr.replace(/\$__rate_interval/g, "30s").replace(/\$__interval/g, "5s");
/** The ttc metric names an expression reads, as exported (a histogram's _bucket/_sum/_count read the histogram). */
const metricsOf = (expr: string) => [...expr.matchAll(/\b(ttc_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ""));

describe("dashboards", () => {
  it("in the chart are exactly what packages/dashboards generates (npm run dashboards -w @ttc/dashboards)", () => {
    for (const name of names) expect(readFileSync(join(chartDir, "dashboards", `${name}.json`), "utf8"), name).toBe(dashboardJson(name));
  });
});

describe("every panel and alert query against a real Prometheus scraping a real cluster", () => {
  let c: TestCluster;
  let prom: PrometheusFixture;
  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, env: { TTC_SIM_TOKENS_PER_SECOND: "2000" } });
    prom = await startPrometheus(c.cluster.services.map((s) => new URL(String(s.ready["metricsUrl"])).host));
    // Adaptive with a verifier: verifier calls, prunes and cancels of branches still running.
    for (let i = 0; i < 6; i++)
      await c.client.solve(
        request({
          seed: 100 + i,
          maxBranches: 8,
          parallelism: 8,
          policy: { name: "adaptive", params: {} },
          verifier: "arith",
          prompt: `dash ${i}`,
        }),
      );
    // Rates need two scrapes after the queries.
    await new Promise((r) => setTimeout(r, 3_000));
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    await c?.stop();
  });

  it("every metric a panel or an alert names is one the services export", async () => {
    const exported = await prom.metricNames();
    const alerts = alertRules();
    const named = new Set([
      ...names.flatMap((n) => panelQueries(n).flatMap((q) => metricsOf(q.expr))),
      ...alerts.flatMap((a) => metricsOf(a.expr)),
    ]);
    expect(named.size).toBeGreaterThan(15);
    expect([...named].filter((m) => !exported.has(m))).toEqual([]);
  });

  it("every panel's query parses and returns data", async () => {
    const empty: string[] = [];
    for (const name of names) {
      const queries = panelQueries(name);
      expect(queries.length).toBeGreaterThan(5);
      for (const q of queries) {
        const r = await prom.query(asPrometheus(q.expr));
        expect(r.status, `${name} / ${q.panel}: ${q.expr} → ${r.error}`).toBe("success");
        if (r.result.length === 0) empty.push(`${name} / ${q.panel}: ${q.expr}`);
      }
    }
    expect(empty).toEqual([]);
  });

  it("every alert rule's expression parses (and says what it needs to fire)", async () => {
    const alerts = alertRules();
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      "TtcEngineNotReady",
      "TtcNoLiveWorkers",
      "TtcQueryErrorRatio",
      "TtcTaskQueueLagGrowing",
      "TtcVerifierDegraded",
    ]);
    for (const a of alerts) {
      const r = await prom.query(a.expr);
      expect(r.status, `${a.alert}: ${r.error}`).toBe("success");
      expect(a.annotations.description.length, a.alert).toBeGreaterThan(20);
    }
    // A healthy cluster fires none of them.
    for (const a of alerts) expect((await prom.query(a.expr)).result, a.alert).toEqual([]);
  });
});

function alertRules(): { alert: string; expr: string; annotations: { description: string } }[] {
  const file = parse(readFileSync(join(chartDir, "files/alerts.yaml"), "utf8")) as {
    groups: { rules: { alert: string; expr: string; annotations: { description: string } }[] }[];
  };
  return file.groups.flatMap((g) => g.rules);
}
