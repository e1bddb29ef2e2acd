/**
 * The services' own view of a run: each process's CPU, memory and event-loop delay, and the ttc gauges
 * it exports (queries in flight, live workers, busy branch slots, a task-queue lag when one exists),
 * over time. Filled by the scraper or from a Prometheus server.
 */
import { mean } from "@ttc/stats";

/** prom-client's default process metrics, under the standard names every ttc service exports (`collectDefaultMetrics`). */
export const processMetrics = {
  cpuSeconds: "process_cpu_seconds_total",
  residentBytes: "process_resident_memory_bytes",
  eventLoopLagP99: "nodejs_eventloop_lag_p99_seconds",
} as const;

/** Gauges of ttc's own: every gauge whose name has this prefix is recorded, whatever a service adds later. */
export const ttcMetricPrefix = "ttc_";

/** A service's metrics endpoint, named for the report. */
export interface MetricsTarget {
  name: string;
  url: string;
}

/** `[seconds from the start of the run, value]`. */
export type Point = [number, number];

export interface ServiceSeries {
  name: string;
  /** Where the numbers came from: the metrics URL, or the Prometheus instance. */
  source: string;
  /** Samples taken, and how many attempts failed (the last failure's message in `lastError`). */
  samples: number;
  failures: number;
  lastError?: string;
  /** CPU used, in cores (CPU seconds per second). */
  cpuCores: Point[];
  residentBytes: Point[];
  eventLoopLagP99Seconds: Point[];
  /** ttc gauges by name, summed over their label sets. */
  gauges: Record<string, Point[]>;
}

export interface ServiceSummary {
  samples: number;
  failures: number;
  cpuCoresMean: number;
  cpuCoresMax: number;
  residentBytesMax: number;
  eventLoopLagP99MaxSeconds: number;
}

/** Means and peaks of one service's series (0 where it has no points). */
export function summarizeService(series: ServiceSeries): ServiceSummary {
  const values = (points: Point[]) => points.map((p) => p[1]);
  const max = (points: Point[]) => values(points).reduce((m, v) => Math.max(m, v), 0);
  return {
    samples: series.samples,
    failures: series.failures,
    cpuCoresMean: mean(values(series.cpuCores)),
    cpuCoresMax: max(series.cpuCores),
    residentBytesMax: max(series.residentBytes),
    eventLoopLagP99MaxSeconds: max(series.eventLoopLagP99Seconds),
  };
}

/** An empty series for `name`. */
export function emptySeries(name: string, source: string): ServiceSeries {
  return { name, source, samples: 0, failures: 0, cpuCores: [], residentBytes: [], eventLoopLagP99Seconds: [], gauges: {} };
}
