/**
 * Scrapes the services' `/metrics` endpoints once a second during a run, so the report can show what
 * the load did to them: CPU (the rate of `process_cpu_seconds_total`), resident memory, event-loop
 * delay p99 and the ttc gauges. A failed scrape is counted and the run goes on.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseExposition, total, type Exposition } from "./prometheus-text.js";
import { emptySeries, processMetrics, ttcMetricPrefix, type MetricsTarget, type ServiceSeries } from "./service-series.js";

export interface Scraper {
  /** Takes a last sample, stops, and returns one series per target. */
  stop(): Promise<ServiceSeries[]>;
}

/**
 * Starts scraping `targets` every `intervalMs`, at once and then on a fixed grid from `origin`
 * (a `performance.now()` value: the start of the run, which the series' times count from).
 */
export function startScraper(targets: readonly MetricsTarget[], origin: number, intervalMs = 1000): Scraper {
  const states: TargetState[] = targets.map((target) => ({ target, series: emptySeries(target.name, target.url), lastCpu: undefined }));
  const stopping = new AbortController();

  const scrapeOne = async (state: TargetState) => {
    try {
      // A busy service may answer late; a late sample is still worth more than a gap.
      const response = await fetch(state.target.url, { signal: AbortSignal.timeout(Math.max(5 * intervalMs, 2000)) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const exposition = parseExposition(await response.text());
      record(state, exposition, (performance.now() - origin) / 1000);
    } catch (error) {
      state.series.failures++;
      state.series.lastError = error instanceof Error ? error.message : String(error);
    }
  };
  const scrapeAll = () => Promise.all(states.map(scrapeOne));

  const loop = (async () => {
    for (let k = 1; !stopping.signal.aborted; k++) {
      await scrapeAll();
      const wait = origin + k * intervalMs - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal: stopping.signal }).catch(() => {});
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
      await scrapeAll(); // the run's last second
      return states.map((s) => s.series);
    },
  };
}

interface TargetState {
  target: MetricsTarget;
  series: ServiceSeries;
  /** The previous CPU counter reading, for its rate. */
  lastCpu: { t: number; seconds: number } | undefined;
}

/** Adds one scrape at time `t`; CPU is the counter's rate since the previous scrape of this target. */
function record(state: TargetState, exposition: Exposition, t: number): void {
  const s = state.series;
  s.samples++;
  const cpu = total(exposition, processMetrics.cpuSeconds);
  if (cpu !== undefined) {
    const previous = state.lastCpu;
    if (previous && t > previous.t) s.cpuCores.push([t, (cpu - previous.seconds) / (t - previous.t)]);
    state.lastCpu = { t, seconds: cpu };
  }
  const rss = total(exposition, processMetrics.residentBytes);
  if (rss !== undefined) s.residentBytes.push([t, rss]);
  const lag = total(exposition, processMetrics.eventLoopLagP99);
  if (lag !== undefined) s.eventLoopLagP99Seconds.push([t, lag]);
  for (const [name, type] of exposition.types) {
    if (type !== "gauge" || !name.startsWith(ttcMetricPrefix)) continue;
    const value = total(exposition, name);
    if (value !== undefined) (s.gauges[name] ??= []).push([t, value]);
  }
}
