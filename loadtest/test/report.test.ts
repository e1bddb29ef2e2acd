import { describe, expect, it } from "vitest";
import { change, compareRuns, formatComparison } from "../src/compare.js";
import { keyFigures, parseScenario, progressLine, summarize, timeSeries, type LoadResults, type QueryRecord } from "../src/mod.js";
import { reportCharts } from "../src/report-charts.js";
import { formatSummary } from "../src/report-text.js";

/** A run of `n` answered queries of `latency` seconds each, one per second, plus `failed` that ended DEADLINE_EXCEEDED. */
function results(n: number, latency: number, failed = 0): LoadResults {
  const record = (index: number, outcome: string): QueryRecord => ({
    index,
    template: "default",
    scheduledSeconds: index,
    sentSeconds: index,
    endedSeconds: index + latency,
    latencySeconds: latency,
    outcome,
    ...(outcome === "OK"
      ? {
          result: {
            answered: true,
            answer: "42",
            generatedTokens: 1000,
            wastedTokens: 100,
            branchesLaunched: 4,
            branchesPruned: 0,
            verifierCalls: 4,
            stopReason: "consensus",
            queuedSeconds: 0.05,
          },
        }
      : {}),
  });
  const records = [
    ...Array.from({ length: n }, (_, i) => record(i, "OK")),
    ...Array.from({ length: failed }, (_, i) => record(n + i, "DEADLINE_EXCEEDED")),
  ];
  const duration = n + failed + latency;
  return {
    tool: "ttc-loadtest",
    version: 1,
    startedAt: "2025-01-01T00:00:00.000Z",
    config: { addr: "127.0.0.1:50051", metrics: [], graceSeconds: 62, interrupted: false },
    scenario: parseScenario({ load: { arrival: "constant", rate: 1, queries: n + failed } }),
    summary: { ...summarize(records, duration, n + failed), services: {} },
    timeSeries: timeSeries(records, duration),
    services: { source: "none", series: [] },
    queries: records,
  };
}

describe("the text summary and the figures", () => {
  it("lists what was run and every figure by section", () => {
    const text = formatSummary(results(4, 0.5, 1));
    expect(text).toContain("constant arrivals, 1/s; ≤ 5 queries; seed 1");
    expect(text).toMatch(/DEADLINE_EXCEEDED\s+1\n/);
    expect(text).toMatch(/p50\s+500\.0 ms\n/);
    expect(keyFigures(results(4, 0.5)).map((f) => f.group)).toEqual(
      expect.arrayContaining(["outcomes", "throughput", "latency", "compute", "stop reasons"]),
    );
  });
});

describe("compare", () => {
  it("aligns the figures of two runs and states the change", () => {
    const rows = compareRuns(results(4, 0.5), results(4, 1, 2));
    const p50 = rows.find((r) => r.group === "latency" && r.label === "p50")!;
    expect([p50.a, p50.b, change(p50)]).toEqual([0.5, 1, "+100.0%"]);
    const deadline = rows.find((r) => r.label === "DEADLINE_EXCEEDED")!;
    expect([deadline.a, deadline.b, change(deadline)]).toEqual([undefined, 2, ""]);
    // A figure only the second run has stays in its section.
    expect(rows.indexOf(deadline)).toBeLessThan(rows.findIndex((r) => r.group === "throughput"));
    const queries = rows.find((r) => r.label === "queries")!;
    expect(change(queries)).toBe("+2");
    const text = formatComparison(rows, ["before", "after"]);
    expect(text.split("\n")[0]).toMatch(/before\s+after\s+change$/);
    expect(text).toMatch(/p50\s+500\.0 ms\s+1\.000 s\s+\+100\.0%/);
  });
});

describe("the chart plan", () => {
  it("draws what has data and names what it leaves out, with the reason", () => {
    const plan = reportCharts(results(4, 0.5));
    expect(plan.charts.map((c) => c.id)).toEqual(["latency", "throughput", "tokens", "branches", "stop-reasons", "queue-wait"]);
    expect(plan.empty.map((e) => [e.id, e.reason])).toEqual([
      ["errors", "no query failed"],
      ...["service-cpu", "service-memory", "service-event-loop", "service-gauges"].map((id) => [
        id,
        "no service metrics: run with --metrics NAME=URL or --prometheus URL",
      ]),
    ]);
    const throughput = plan.charts.find((c) => c.id === "throughput")!;
    // Per-second values are drawn at the end of their second.
    expect(throughput.datasets[0]!.data.slice(0, 2)).toEqual([
      { x: 1, y: 1 },
      { x: 2, y: 1 },
    ]);
    expect(reportCharts(results(2, 0.5, 1)).charts.map((c) => c.id)).toContain("errors");
  });
});

describe("the progress line", () => {
  it("shows elapsed, sent of planned, in flight, outcomes and the recent quantiles", () => {
    expect(
      progressLine({
        elapsedSeconds: 12.2,
        planned: 100,
        sent: 60,
        inFlight: 3,
        outcomes: { OK: 55, UNAVAILABLE: 2 },
        recent: { answered: 10, p50: 1.214, p99: 2.3 },
      }),
    ).toBe("  12s  sent 60/100  in flight 3  ok 55  UNAVAILABLE 2  p50 1.21s p99 2.30s (last 5 s)");
  });
});
