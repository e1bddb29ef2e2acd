/**
 * What the HTML report draws, as data (pure): one spec per chart, built from the results. A chart
 * without data is not drawn; it is listed with the reason instead, so an empty canvas never passes
 * for a quiet service.
 */
import type { LoadResults } from "./runner.js";
import type { Point, ServiceSeries } from "./service-series.js";

export interface XY {
  x: number;
  y: number | null;
}

export interface DatasetSpec {
  label: string;
  /** Points on a time axis, or values by category. */
  data: XY[] | number[];
  /** Drawn against the right-hand axis. */
  right?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** What is drawn and how it was measured. */
  note: string;
  kind: "line" | "bar";
  /** `time`: seconds from the start of the run, to `max` (the same on every chart of a page); otherwise the category labels. */
  x: { time: true; max: number } | { time: false; labels: string[]; title: string };
  y: { title: string; stacked?: boolean };
  /** The right-hand axis' title, when a dataset uses it. */
  y2?: string;
  datasets: DatasetSpec[];
}

export interface EmptyChart {
  id: string;
  title: string;
  reason: string;
}

export interface ChartPlan {
  charts: ChartSpec[];
  empty: EmptyChart[];
}

/** The report's charts for one run. */
export function reportCharts(r: LoadResults): ChartPlan {
  const ts = r.timeSeries;
  const s = r.summary;
  // The scraper's last sample is taken as the run ends, a moment after the last whole second.
  const lastSample = r.services.series.flatMap((sv) => sv.residentBytes.map(([t]) => t)).reduce((m, t) => Math.max(m, t), 0);
  const time = { time: true, max: Math.ceil(Math.max(ts.seconds.length, lastSample)) } as const;
  const perSecond = (values: ReadonlyArray<number | null>): XY[] => values.map((y, i) => ({ x: ts.seconds[i]! + 1, y }));
  const perAnswered = (values: readonly number[]) => perSecond(values.map((v, i) => (ts.answered[i]! > 0 ? v / ts.answered[i]! : null)));
  const services = r.services.series;
  const noServices =
    r.services.error ??
    (r.services.source === "none" ? "no service metrics: run with --metrics NAME=URL or --prometheus URL" : "no samples");
  const byService = (pick: (s: ServiceSeries) => Point[], scale = 1): DatasetSpec[] =>
    services.map((sv) => ({ label: sv.name, data: pick(sv).map(([x, y]) => ({ x, y: y * scale })) }));
  const gauges = summedGauges(services);
  const numeric = (keys: string[]) => keys.sort((a, b) => Number(a) - Number(b));

  const plan: Array<{ spec: ChartSpec; emptyReason: string }> = [
    {
      spec: {
        id: "latency",
        title: "Latency over time",
        note: "Quantiles of the queries that answered in each second, from scheduled send to answer.",
        kind: "line",
        x: time,
        y: { title: "seconds" },
        datasets: (["p50", "p90", "p99"] as const).map((q) => ({ label: q, data: perSecond(ts.latencySeconds[q]) })),
      },
      emptyReason: "no query answered",
    },
    {
      spec: {
        id: "throughput",
        title: "Throughput: offered vs answered",
        note: "Queries scheduled and answered per second; queries in flight at the end of each second on the right.",
        kind: "line",
        x: time,
        y: { title: "queries / s" },
        y2: "in flight",
        datasets: [
          { label: "offered", data: perSecond(ts.offered) },
          { label: "answered", data: perSecond(ts.answered) },
          { label: "in flight", data: perSecond(ts.inFlight), right: true },
        ],
      },
      emptyReason: "no query was sent",
    },
    {
      spec: {
        id: "errors",
        title: "Errors by status over time",
        note: "Queries that ended without an answer in each second, by gRPC status; NO_REPLY: cancelled by the load generator after the grace period.",
        kind: "bar",
        x: time,
        y: { title: "queries", stacked: true },
        datasets: Object.entries(ts.errors).map(([label, values]) => ({ label, data: perSecond(values) })),
      },
      emptyReason: "no query failed",
    },
    {
      spec: {
        id: "tokens",
        title: "Tokens and waste per query",
        note: "Mean tokens generated, and of them wasted on pruned or cancelled branches, by the queries that answered in each second.",
        kind: "line",
        x: time,
        y: { title: "tokens / query" },
        datasets: [
          { label: "generated", data: perAnswered(ts.tokens) },
          { label: "wasted", data: perAnswered(ts.wastedTokens) },
        ],
      },
      emptyReason: "no query answered",
    },
    categoryChart(
      "branches",
      "Branches per query",
      "Answered queries by the number of branches they launched.",
      "branches launched",
      numeric(Object.keys(s.branchesLaunched)),
      s.branchesLaunched,
    ),
    categoryChart(
      "stop-reasons",
      "Stop reasons",
      "Why the answered queries stopped.",
      "stop reason",
      Object.keys(s.stopReasons).sort(),
      s.stopReasons,
    ),
    {
      spec: {
        id: "queue-wait",
        title: "Task-queue lag",
        note: "Time until a worker picked up a query's first branch (the scheduler's timing.queued_seconds), quantiles of the queries that answered in each second.",
        kind: "line",
        x: time,
        y: { title: "seconds" },
        datasets: (["p50", "p95"] as const).map((q) => ({ label: q, data: perSecond(ts.queueWaitSeconds[q]) })),
      },
      emptyReason: "no query answered",
    },
    {
      spec: {
        id: "service-cpu",
        title: "Service CPU",
        note: "CPU seconds per second of each process (the rate of process_cpu_seconds_total between samples).",
        kind: "line",
        x: time,
        y: { title: "cores" },
        datasets: byService((sv) => sv.cpuCores),
      },
      emptyReason: noServices,
    },
    {
      spec: {
        id: "service-memory",
        title: "Service resident memory",
        note: "process_resident_memory_bytes of each process.",
        kind: "line",
        x: time,
        y: { title: "MiB" },
        datasets: byService((sv) => sv.residentBytes, 1 / 2 ** 20),
      },
      emptyReason: noServices,
    },
    {
      spec: {
        id: "service-event-loop",
        title: "Service event-loop delay p99",
        note: "nodejs_eventloop_lag_p99_seconds of each process: how late its timers and I/O callbacks ran.",
        kind: "line",
        x: time,
        y: { title: "ms" },
        datasets: byService((sv) => sv.eventLoopLagP99Seconds, 1000),
      },
      emptyReason: noServices,
    },
    {
      spec: {
        id: "service-gauges",
        title: "Cluster gauges",
        note: "Every ttc gauge the services export, summed over the services (queries in flight, live workers, busy and total branch slots…); gauges in seconds on the right.",
        kind: "line",
        x: time,
        y: { title: "value" },
        ...(Object.keys(gauges).some(isSeconds) ? { y2: "seconds" } : {}),
        datasets: Object.entries(gauges).map(([name, points]) => ({
          label: name,
          data: points.map(([x, y]) => ({ x, y })),
          ...(isSeconds(name) ? { right: true } : {}),
        })),
      },
      emptyReason: noServices,
    },
  ];
  return split(plan);
}

/** Charts comparing two runs: latency, throughput and compute over time, each run's series side by side. */
export function comparisonCharts(a: LoadResults, b: LoadResults, names: [string, string]): ChartPlan {
  const runs = [a, b] as const;
  const time = { time: true, max: Math.max(a.timeSeries.seconds.length, b.timeSeries.seconds.length) } as const;
  const series = (label: string, pick: (r: LoadResults) => ReadonlyArray<number | null>): DatasetSpec[] =>
    runs.map((r, i) => ({ label: `${names[i]} ${label}`, data: pick(r).map((y, s) => ({ x: s + 1, y })) }));
  const perAnswered = (r: LoadResults, values: readonly number[]) =>
    values.map((v, i) => (r.timeSeries.answered[i]! > 0 ? v / r.timeSeries.answered[i]! : null));
  return split([
    {
      spec: {
        id: "latency",
        title: "Latency p50 and p99",
        note: "Quantiles of the queries that answered in each second.",
        kind: "line",
        x: time,
        y: { title: "seconds" },
        datasets: [...series("p50", (r) => r.timeSeries.latencySeconds.p50), ...series("p99", (r) => r.timeSeries.latencySeconds.p99)],
      },
      emptyReason: "no query answered in either run",
    },
    {
      spec: {
        id: "throughput",
        title: "Throughput: offered and answered",
        note: "Queries scheduled and answered per second.",
        kind: "line",
        x: time,
        y: { title: "queries / s" },
        datasets: [...series("offered", (r) => r.timeSeries.offered), ...series("answered", (r) => r.timeSeries.answered)],
      },
      emptyReason: "no query was sent in either run",
    },
    {
      spec: {
        id: "tokens",
        title: "Tokens per query",
        note: "Mean tokens generated by the queries that answered in each second.",
        kind: "line",
        x: time,
        y: { title: "tokens / query" },
        datasets: series("tokens", (r) => perAnswered(r, r.timeSeries.tokens)),
      },
      emptyReason: "no query answered in either run",
    },
  ]);
}

function categoryChart(
  id: string,
  title: string,
  note: string,
  axis: string,
  labels: string[],
  counts: Record<string, number>,
): { spec: ChartSpec; emptyReason: string } {
  return {
    spec: {
      id,
      title,
      note,
      kind: "bar",
      x: { time: false, labels, title: axis },
      y: { title: "queries" },
      datasets: [{ label: "queries", data: labels.map((l) => counts[l] ?? 0) }],
    },
    emptyReason: "no query answered",
  };
}

/** Each ttc gauge summed over the services that export it, sample times rounded to the second they fall in. */
function summedGauges(services: readonly ServiceSeries[]): Record<string, Point[]> {
  const sums: Record<string, Map<number, number>> = {};
  for (const sv of services) {
    for (const [name, points] of Object.entries(sv.gauges)) {
      // One value per service and second (the last), so two samples in a second are not counted twice.
      const own = new Map(points.map(([t, v]) => [Math.round(t), v]));
      const byTime = (sums[name] ??= new Map());
      for (const [t, v] of own) byTime.set(t, (byTime.get(t) ?? 0) + v);
    }
  }
  return Object.fromEntries(
    Object.entries(sums)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, byTime]) => [name, [...byTime.entries()].sort((p, q) => p[0] - q[0])]),
  );
}

function isSeconds(gauge: string): boolean {
  return gauge.endsWith("_seconds");
}

function hasData(spec: ChartSpec): boolean {
  return spec.datasets.some((d) =>
    (d.data as Array<XY | number>).some((v) => (typeof v === "number" ? v > 0 : v.y !== null && Number.isFinite(v.y))),
  );
}

function split(plan: ReadonlyArray<{ spec: ChartSpec; emptyReason: string }>): ChartPlan {
  const charts: ChartSpec[] = [];
  const empty: EmptyChart[] = [];
  for (const { spec, emptyReason } of plan) {
    if (hasData(spec)) charts.push(spec);
    else empty.push({ id: spec.id, title: spec.title, reason: emptyReason });
  }
  return { charts, empty };
}
