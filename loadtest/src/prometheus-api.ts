/**
 * The service series read back from a Prometheus server (`query_range`, 1 s steps) instead of
 * scraped by the load generator: for clusters Prometheus already watches. Instances are named by the
 * `--metrics` targets whose host:port they match, else by their `instance` label.
 */
import { emptySeries, processMetrics, ttcMetricPrefix, type MetricsTarget, type Point, type ServiceSeries } from "./service-series.js";

export interface PrometheusWindow {
  /** Epoch ms of the run's start: series times count from it. */
  fromMs: number;
  toMs: number;
  /** Names for instances; when given, only these instances are kept. */
  targets: readonly MetricsTarget[];
}

interface MatrixResult {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** Reads CPU, memory, event-loop delay and every ttc gauge per instance over the window. @throws Error naming the failed query. */
export async function prometheusSeries(baseUrl: string, window: PrometheusWindow): Promise<ServiceSeries[]> {
  const range = async (promql: string): Promise<MatrixResult[]> => {
    const params = new URLSearchParams({
      query: promql,
      start: String(window.fromMs / 1000),
      end: String(window.toMs / 1000),
      step: "1",
    });
    const response = await fetch(`${baseUrl.replace(/\/$/, "")}/api/v1/query_range?${params}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { result: MatrixResult[] } };
    if (body.status !== "success") throw new Error(`prometheus query ${promql}: ${body.error ?? `HTTP ${response.status}`}`);
    return body.data!.result;
  };
  const byInstance = new Map<string, ServiceSeries>();
  const nameOf = (instance: string) => window.targets.find((t) => new URL(t.url).host === instance)?.name;
  const add = (results: MatrixResult[], put: (s: ServiceSeries, points: Point[]) => void) => {
    for (const r of results) {
      const instance = r.metric["instance"] ?? "unknown";
      const name = nameOf(instance);
      if (window.targets.length > 0 && name === undefined) continue;
      let s = byInstance.get(instance);
      if (!s) byInstance.set(instance, (s = emptySeries(name ?? instance, instance)));
      const points = r.values.map(([t, v]): Point => [t - window.fromMs / 1000, Number(v)]);
      s.samples = Math.max(s.samples, points.length);
      put(s, points);
    }
  };
  // irate over a minute: the last two samples, whatever the server's scrape interval.
  add(await range(`sum by (instance) (irate(${processMetrics.cpuSeconds}[1m]))`), (s, p) => (s.cpuCores = p));
  add(await range(`sum by (instance) (${processMetrics.residentBytes})`), (s, p) => (s.residentBytes = p));
  add(await range(`max by (instance) (${processMetrics.eventLoopLagP99})`), (s, p) => (s.eventLoopLagP99Seconds = p));
  for (const gauge of await ttcGauges(baseUrl)) add(await range(`sum by (instance) (${gauge})`), (s, p) => (s.gauges[gauge] = p));
  return [...byInstance.values()];
}

/** The ttc gauges the server knows, from its metadata API. */
async function ttcGauges(baseUrl: string): Promise<string[]> {
  const response = await fetch(`${baseUrl.replace(/\/$/, "")}/api/v1/metadata`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { data?: Record<string, Array<{ type: string }>> };
  return Object.entries(body.data ?? {})
    .filter(([name, meta]) => name.startsWith(ttcMetricPrefix) && meta.some((m) => m.type === "gauge"))
    .map(([name]) => name)
    .sort();
}
