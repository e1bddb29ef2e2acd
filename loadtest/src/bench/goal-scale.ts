/**
 * Goal 4: 1,000 concurrent queries × 16 branches on one scheduler, then 2,000 on two schedulers that
 * share one fleet of a few high-capacity sim workers: no query lost, none DEADLINE_EXCEEDED, each
 * scheduler's RSS ≤ 512 MB and event-loop delay p99 ≤ 100 ms. Every query is sent at once
 * (`runLoad` from the load generator, a closed loop as wide as the run, over 16 connections as from
 * many callers), and the schedulers' /metrics are scraped every second (prom-client resets its
 * event-loop histogram at each scrape, so the figure is the worst one-second p99).
 *
 * The machine has 2 cores for a scheduler, nats-server, two workers starting 16,000 branches and
 * the load generator. The judged runs lower the priority of the workers and the load generator (nice
 * 10), so the event-loop delay is the scheduler's own and not its wait for a core, as on a node of
 * its own; two figures show what that and the connection count change: the same load with every
 * process at one priority, and over a single connection (grpc-js then accepts a whole burst of calls
 * in one read of the socket, without yielding).
 */
import { quantile } from "@ttc/stats";
import { scrape } from "@ttc/test-harness";
import { runLoad, type LoadResults, type ScenarioInput } from "../mod.js";
import { startBenchCluster, type SchedulerProcess } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";

const branches = 16;
/** The scheduler's default deadline: a query that cannot finish in it is a query the system failed. */
const deadlineMs = 120_000;
/** Client connections a load is spread over. */
const connections = 16;
/**
 * Sim branches of ~100 tokens at 200 tokens/s. With the default 300 tokens, the 2-core machine's two
 * workers (~70k tokens/s between them) cannot generate 2,000 × 16 branches within the deadline at all,
 * which would measure the fleet, not the schedulers.
 */
const sim = { TTC_SIM_TOKENS_PER_SECOND: "200", TTC_SIM_MEAN_TOKENS: "100" };

/** The figures of one load (`one` scheduler or `two`), judged the same way; `words` say how two schedulers' figures combine. */
function phaseFigures(prefix: "one" | "two", who: string, words: { larger: string; either: string; worse: string }): BenchGoal["figures"] {
  return [
    { key: `${prefix}Lost`, label: `${who}: queries lost`, unit: "", digits: 0, target: { op: "<=", value: 0 } },
    { key: `${prefix}Deadline`, label: `${who}: DEADLINE_EXCEEDED`, unit: "", digits: 0, target: { op: "<=", value: 0 } },
    { key: `${prefix}RssMb`, label: `${who}: peak RSS${words.larger}`, unit: "MB", digits: 0, target: { op: "<=", value: 512 } },
    {
      key: `${prefix}LagP99Ms`,
      label: `${who}: event-loop delay p99 (worst second${words.either})`,
      unit: "ms",
      digits: 1,
      target: { op: "<=", value: 100 },
    },
    { key: `${prefix}LagMedianMs`, label: `${who}: event-loop delay p99 (median second${words.worse})`, unit: "ms", digits: 1 },
    { key: `${prefix}P50S`, label: `${who}: query latency p50`, unit: "s", digits: 2 },
    { key: `${prefix}Seconds`, label: `${who}: all queries answered in`, unit: "s", digits: 1 },
  ];
}

export const scaleGoal: BenchGoal = {
  goal: 4,
  title: "1,000 concurrent queries per scheduler",
  method: `1,000 queries per scheduler sent at once over ${connections} connections, majority × all-parallel × ${branches} branches, verifier none, 2 sim workers × 512 slots at 200 tokens/s (mean 100 tokens), ${deadlineMs / 1000} s deadline, workers and load generator at nice 10; 1 scheduler, then 2 sharing the fleet; then 1 scheduler with every process at one priority, and over 1 connection (--quick: 50 queries, 64 slots)`,
  figures: [
    ...phaseFigures("one", "1 scheduler", { larger: "", either: "", worse: "" }),
    ...phaseFigures("two", "2 schedulers", { larger: " (larger)", either: ", either", worse: ", worse" }),
    { key: "samePriorityLagP99Ms", label: "1 scheduler, every process at one priority: delay p99 (worst second)", unit: "ms", digits: 1 },
    { key: "oneConnectionLagP99Ms", label: "1 scheduler, 1 client connection: delay p99 (worst second)", unit: "ms", digits: 1 },
  ],
  run: measureScale,
};

async function measureScale({ quick, log }: GoalOptions): Promise<GoalRun> {
  const perScheduler = quick ? 50 : 1_000;
  const workers = 2;
  const capacity = quick ? 64 : 512;
  const cluster = await startBenchCluster({
    workers,
    capacity,
    env: { ...sim, TTC_MAX_CONCURRENT_QUERIES: String(perScheduler) },
  });
  try {
    // Started before the fleet is deprioritised, which the load generator's children would inherit.
    const second = await cluster.addScheduler();
    const first = cluster.schedulers[0]!;
    log(`goal 4: ${perScheduler} queries × ${branches} branches on 1 scheduler, every process at one priority`);
    const samePriority = await loadOn([first], perScheduler, connections);
    const notDeprioritised = cluster.deprioritiseFleet();
    log(`goal 4: ${perScheduler} queries on 1 scheduler (${workers} workers × ${capacity} slots)`);
    const one = await loadOn([first], perScheduler, connections);
    log(`goal 4: ${perScheduler} queries on each of 2 schedulers`);
    const two = await loadOn([first, second], perScheduler, connections);
    log(`goal 4: ${perScheduler} queries on 1 scheduler over 1 connection`);
    const oneConnection = await loadOn([first], perScheduler, 1);
    return {
      values: {
        ...phaseValues("one", one),
        ...phaseValues("two", two),
        samePriorityLagP99Ms: samePriority.worstLagP99Ms,
        oneConnectionLagP99Ms: oneConnection.worstLagP99Ms,
      },
      details: {
        perScheduler,
        branches,
        workers,
        capacity,
        deadlineMs,
        connections,
        notDeprioritised,
        one,
        two,
        samePriority,
        oneConnection,
      },
    };
  } finally {
    await cluster.stop();
  }
}

/** The values of {@link phaseFigures} for one load. */
function phaseValues(prefix: "one" | "two", r: Awaited<ReturnType<typeof loadOn>>): Record<string, number> {
  return {
    [`${prefix}Lost`]: r.lost,
    [`${prefix}Deadline`]: r.deadlineExceeded,
    [`${prefix}RssMb`]: r.peakRssMb,
    [`${prefix}LagP99Ms`]: r.worstLagP99Ms,
    [`${prefix}LagMedianMs`]: r.medianLagP99Ms,
    [`${prefix}P50S`]: r.latencyP50S,
    [`${prefix}Seconds`]: r.seconds,
  };
}

/** `queries` sent at once to each of `schedulers` over `connections` each, all together; the figures of the whole. */
async function loadOn(schedulers: readonly SchedulerProcess[], queries: number, connections: number) {
  // A scrape resets the event-loop histograms, so the run's first sample does not hold the start-up.
  await Promise.all(schedulers.map((s) => scrape(s.metricsUrl)));
  const started = performance.now();
  const results = await Promise.all(
    schedulers.map((s, i) =>
      runLoad({
        addr: s.grpcAddress,
        scenario: scenario(queries, connections),
        metrics: [{ name: `scheduler-${i + 1}`, url: s.metricsUrl }],
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const sum = (f: (r: LoadResults) => number) => results.reduce((s, r) => s + f(r), 0);
  const deadlineExceeded = sum((r) => r.summary.outcomes["DEADLINE_EXCEEDED"] ?? 0);
  return {
    queries: sum((r) => r.summary.queries),
    answered: sum((r) => r.summary.answered),
    /** Every query that did not answer for a reason other than its deadline (errors, no reply). */
    lost: sum((r) => r.summary.queries - r.summary.answered) - deadlineExceeded,
    deadlineExceeded,
    outcomes: results.map((r) => r.summary.outcomes),
    stopReasons: results.map((r) => r.summary.stopReasons),
    latencyP50S: Math.max(...results.map((r) => r.summary.latencySeconds.p50)),
    latencyP99S: Math.max(...results.map((r) => r.summary.latencySeconds.p99)),
    tokensPerQuery: results.map((r) => r.summary.tokensPerQuery),
    peakRssMb: Math.max(...results.map((r) => summaryOf(r, "residentBytes").max)) / 1_048_576,
    worstLagP99Ms: Math.max(...results.map((r) => summaryOf(r, "eventLoopLagP99Seconds").max)) * 1000,
    medianLagP99Ms: Math.max(...results.map((r) => summaryOf(r, "eventLoopLagP99Seconds").median)) * 1000,
    seconds,
  };
}

/** Peak and median of one scraped series of the run's scheduler; NaN when the scheduler never exported it. */
function summaryOf(results: LoadResults, series: "residentBytes" | "eventLoopLagP99Seconds"): { max: number; median: number } {
  const values = (results.services.series[0]?.[series] ?? []).map((p) => p[1]);
  return values.length === 0 ? { max: NaN, median: NaN } : { max: Math.max(...values), median: quantile(values, 0.5) };
}

function scenario(queries: number, connections: number): ScenarioInput {
  return {
    load: { arrival: "closed", concurrency: queries, queries, connections },
    request: {
      prompts: { template: "sim puzzle {i}" },
      maxBranches: branches,
      parallelism: branches,
      mode: "all-parallel",
      policy: { name: "majority", params: {} },
      verifier: "none",
      deadlineMs,
    },
  };
}
