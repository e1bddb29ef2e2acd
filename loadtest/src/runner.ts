/**
 * `runLoad`: one load test against a scheduler, as a library call. It sends the scenario's queries
 * on the arrival model's schedule (open loop) or from N callers (closed loop), records every
 * outcome, samples the services' metrics, and returns the results document that the JSON and HTML
 * reports are written from. Bounded in count and time; it only calls the address it is given.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { status, TtcClient, TtcError, type ClientOptions } from "@ttc/client";
import { stopReasonLabel, type SolveResult } from "@ttc/proto";
import { fmix32 } from "@ttc/stats";
import { arrivalSchedule, weightedPicker } from "./arrival.js";
import { loadPrompts, type PromptList } from "./prompts.js";
import { prometheusSeries } from "./prometheus-api.js";
import { NO_REPLY, OK, Recorder, type Progress, type QueryRecord, type QueryResultFacts } from "./recorder.js";
import { requestFor } from "./request.js";
import { parseScenario, runLimits, templatesOf, type Scenario, type ScenarioInput, type TemplateSpec } from "./scenario.js";
import { startScraper } from "./scraper.js";
import { summarizeService, type MetricsTarget, type ServiceSeries, type ServiceSummary } from "./service-series.js";
import { summarize, type LoadSummary } from "./summary.js";
import { timeSeries, type TimeSeries } from "./time-series.js";

export interface LoadOptions {
  /** The scheduler's gRPC address, `host:port`. */
  addr: string;
  /** TLS and bearer token of the calls (plaintext without). */
  connection?: Pick<ClientOptions, "tls" | "token">;
  /** What to send and how (validated here; defaults applied). */
  scenario: ScenarioInput;
  /** Services' `/metrics` endpoints to scrape every second. */
  metrics?: readonly MetricsTarget[];
  /** A Prometheus server to read the service series from after the run, instead of scraping. */
  prometheus?: string;
  /** Called every `progressIntervalMs` with the run so far, and once at the end. */
  onProgress?: (progress: Progress) => void;
  /** @default 1000 */
  progressIntervalMs?: number;
  /** Aborting it stops the arrivals and cancels the calls still outstanding (counted as no reply). */
  signal?: AbortSignal;
}

/** Everything a run produced: the document `--json-out` writes and the reports read. */
export interface LoadResults {
  tool: "ttc-loadtest";
  /** Bumped when the document's shape changes incompatibly. */
  version: 1;
  /** When the run started (ISO 8601). */
  startedAt: string;
  config: {
    addr: string;
    metrics: MetricsTarget[];
    prometheus?: string;
    /** How long outstanding calls could still answer after the last arrival. */
    graceSeconds: number;
    /** True when the run was stopped early (SIGINT, or the caller's signal). */
    interrupted: boolean;
  };
  scenario: Scenario;
  summary: LoadSummary & { services: Record<string, ServiceSummary> };
  timeSeries: TimeSeries;
  services: {
    source: "scrape" | "prometheus" | "none";
    series: ServiceSeries[];
    /** Why the service series are missing (a Prometheus that could not be read). */
    error?: string;
  };
  queries: QueryRecord[];
}

/** A call in flight, cancellable when the grace period ends. */
interface Outstanding {
  controller: AbortController;
  /** Set before the runner cancels it, so its CANCELLED is recorded as no reply. */
  noReply: boolean;
  done: Promise<void>;
}

interface PreparedTemplate {
  spec: TemplateSpec;
  prompts: PromptList;
  sent: number;
}

/** Runs the load test described by `options` and returns its results. */
export async function runLoad(options: LoadOptions): Promise<LoadResults> {
  const scenario = parseScenario(options.scenario);
  const templates: PreparedTemplate[] = await Promise.all(
    templatesOf(scenario).map(async (spec) => ({ spec, prompts: await loadPrompts(spec.prompts), sent: 0 })),
  );
  const load = scenario.load;
  const schedule = load.arrival === "closed" ? undefined : arrivalSchedule(load);
  const queryLimit = Math.min(load.queries ?? Infinity, runLimits.queries);
  const planned = schedule?.times.length ?? (load.durationSeconds === undefined ? load.queries : undefined);
  const pick = weightedPicker(
    templates.map((t) => t.spec.weight),
    fmix32(load.seed),
  );
  const graceSeconds = load.graceSeconds ?? Math.max(...templates.map((t) => t.spec.deadlineMs)) / 1000 + 2;
  const metrics = [...(options.metrics ?? [])];
  const signal = options.signal;

  // No retries: a refused query is a measurement (an error by status), not something to hide.
  const clients = Array.from(
    { length: load.connections },
    () => new TtcClient(options.addr, { retry: { maxAttempts: 1 }, ownConnection: load.connections > 1, ...options.connection }),
  );
  const recorder = new Recorder(planned);
  const outstanding = new Set<Outstanding>();
  const startedAt = new Date();
  const origin = performance.now();
  const now = () => (performance.now() - origin) / 1000;
  const scraper = metrics.length > 0 && options.prometheus === undefined ? startScraper(metrics, origin) : undefined;
  const progress = options.onProgress;
  const ticker = progress && setInterval(() => progress(recorder.snapshot(now())), options.progressIntervalMs ?? 1000);
  let sent = 0;

  const send = (scheduledSeconds: number): Promise<void> => {
    const index = sent++;
    const template = templates[pick()]!;
    const request = requestFor(template.spec, template.prompts.at(template.sent++), index + 1);
    const call: Outstanding = { controller: new AbortController(), noReply: false, done: Promise.resolve() };
    const sentSeconds = now();
    recorder.sent();
    const base = { index, template: template.spec.name, ...(template.spec.tenant ? { tenant: template.spec.tenant } : {}) };
    const ended = (outcome: string, extra: Pick<QueryRecord, "detail" | "result">) => {
      const endedSeconds = now();
      outstanding.delete(call);
      recorder.ended({
        ...base,
        scheduledSeconds,
        sentSeconds,
        endedSeconds,
        latencySeconds: endedSeconds - scheduledSeconds,
        outcome,
        ...extra,
      });
    };
    call.done = clients[index % clients.length]!.solve(request, {
      timeoutMs: template.spec.deadlineMs,
      signal: call.controller.signal,
    }).then(
      (result) => ended(OK, { result: resultFacts(result) }),
      (error: unknown) => {
        const failure = TtcError.from(error);
        ended(call.noReply ? NO_REPLY : (status[failure.code] ?? String(failure.code)), { detail: failure.details });
      },
    );
    outstanding.add(call);
    return call.done;
  };

  let arrivalsEndedSeconds: number;
  try {
    if (schedule) {
      for (const t of schedule.times) {
        await pause(origin + t * 1000 - performance.now(), signal);
        if (signal?.aborted) break;
        void send(t);
      }
    } else {
      const endSeconds = load.durationSeconds ?? Infinity;
      await closedLoop(
        load.concurrency,
        endSeconds,
        () => sent < queryLimit && now() < endSeconds && !signal?.aborted,
        () => send(now()),
        signal,
      );
    }
    arrivalsEndedSeconds = now();
    // The grace period: what is still outstanding when it ends is cancelled and counted, never dropped.
    const settled = Promise.all([...outstanding].map((c) => c.done));
    const grace = new AbortController();
    await Promise.race([settled, pause(graceSeconds * 1000, AbortSignal.any([grace.signal, ...(signal ? [signal] : [])]))]);
    grace.abort();
    for (const call of outstanding) {
      call.noReply = true;
      call.controller.abort(new Error("no reply within the grace period after the last arrival"));
    }
    await settled;
  } finally {
    if (ticker) clearInterval(ticker);
    for (const client of clients) client.close();
  }
  const durationSeconds = now();
  progress?.(recorder.snapshot(durationSeconds));

  const services = await serviceSeries(options, scraper, metrics, startedAt);
  const records = [...recorder.records].sort((a, b) => a.index - b.index);
  const arrivalWindowSeconds = schedule && !signal?.aborted ? schedule.windowSeconds : arrivalsEndedSeconds;
  return {
    tool: "ttc-loadtest",
    version: 1,
    startedAt: startedAt.toISOString(),
    config: {
      addr: options.addr,
      metrics,
      ...(options.prometheus !== undefined ? { prometheus: options.prometheus } : {}),
      graceSeconds,
      interrupted: signal?.aborted ?? false,
    },
    scenario,
    summary: {
      ...summarize(records, durationSeconds, arrivalWindowSeconds),
      services: Object.fromEntries(services.series.map((s) => [s.name, summarizeService(s)])),
    },
    timeSeries: timeSeries(records, durationSeconds),
    services,
    queries: records,
  };
}

/**
 * `concurrency` callers, each sending its next query when its last one ended, while `more()` says so.
 * Resolves when the arrivals end (the count is sent, `endSeconds` has passed or `signal` aborted), not
 * when the last queries answer: those get the grace period like an open loop's.
 */
function closedLoop(
  concurrency: number,
  endSeconds: number,
  more: () => boolean,
  send: () => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = endSeconds === Infinity ? undefined : setTimeout(over, endSeconds * 1000);
    signal?.addEventListener("abort", over, { once: true });
    function over() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", over);
      resolve();
    }
    function next() {
      if (!more()) return over();
      const done = send();
      if (!more()) over(); // that was the last arrival
      void done.then(next);
    }
    for (let i = 0; i < concurrency; i++) next();
  });
}

/** The service series: scraped, or read from Prometheus (a failure there is reported in the results, the run is kept). */
async function serviceSeries(
  options: LoadOptions,
  scraper: ReturnType<typeof startScraper> | undefined,
  metrics: MetricsTarget[],
  startedAt: Date,
): Promise<LoadResults["services"]> {
  if (scraper) return { source: "scrape", series: await scraper.stop() };
  if (options.prometheus === undefined) return { source: "none", series: [] };
  try {
    return {
      source: "prometheus",
      series: await prometheusSeries(options.prometheus, { fromMs: startedAt.getTime(), toMs: Date.now(), targets: metrics }),
    };
  } catch (error) {
    return { source: "prometheus", series: [], error: error instanceof Error ? error.message : String(error) };
  }
}

function resultFacts(r: SolveResult): QueryResultFacts {
  return {
    answered: r.answer !== "",
    answer: r.answer,
    generatedTokens: r.compute?.generatedTokens ?? 0,
    wastedTokens: r.compute?.wastedTokens ?? 0,
    branchesLaunched: r.compute?.branchesLaunched ?? 0,
    branchesPruned: r.compute?.branchesPruned ?? 0,
    verifierCalls: r.compute?.verifierCalls ?? 0,
    stopReason: stopReasonLabel(r.stopReason),
    queuedSeconds: r.timing?.queuedSeconds ?? 0,
  };
}

/** Waits `ms` (nothing when ≤ 0), or until `signal` aborts; never rejects. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => {});
}
