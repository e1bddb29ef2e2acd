/**
 * Goal 9: what the query record costs. Two clusters on one machine, alike but for
 * `TTC_QUERY_RECORDS` (off, on), take the same closed-loop load in alternating rounds (only one is
 * loaded at a time), so both see the machine in the same state; each figure is the median over the
 * rounds of the one with records against the one without. The sim is instant (its tokens cost no
 * waiting), so a query is all plumbing and recording's share of it is as large as it gets.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats, wireNames } from "@ttc/common";
import { ExecutionMode } from "@ttc/proto";
import { quantile } from "@ttc/stats";
import { startBenchCluster, type BenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";
import { busySeconds, cpuSeconds, machineCpu } from "./process-stats.js";
import { countByCode, driveQueries } from "./query-driver.js";

const branches = 8;
const concurrency = 16;
/** Instant sim branches of the default length (300 tokens): full-size traces to record, no waiting. */
const instantSim = { TTC_SIM_TOKENS_PER_SECOND: "0" };

export const recordCostGoal: BenchGoal = {
  goal: 9,
  title: "what the query record costs",
  method: `two clusters (1 scheduler, 1 sim worker × 64 slots, instant sim, default 300-token branches) alike but for TTC_QUERY_RECORDS off / on, in alternating rounds of a closed loop of ${concurrency} callers, majority × all-parallel × ${branches} branches, verifier none; medians over the rounds (--quick: 2 rounds of 30)`,
  figures: [
    { key: "throughputRatio", label: "queries/s with records / without", unit: "×", digits: 3 },
    { key: "schedulerCpuRatio", label: "scheduler CPU per query with records / without", unit: "×", digits: 3 },
    { key: "machineCpuRatio", label: "machine CPU per query (every process) with / without", unit: "×", digits: 3 },
    { key: "offQps", label: "queries/s without records", unit: "/s", digits: 1 },
    { key: "onQps", label: "queries/s with records", unit: "/s", digits: 1 },
    { key: "offSchedulerCpuMs", label: "scheduler CPU per query without records", unit: "ms", digits: 2 },
    { key: "onSchedulerCpuMs", label: "scheduler CPU per query with records", unit: "ms", digits: 2 },
    { key: "offP50Ms", label: "latency p50 without records", unit: "ms", digits: 1 },
    { key: "onP50Ms", label: "latency p50 with records", unit: "ms", digits: 1 },
    { key: "offP99Ms", label: "latency p99 without records", unit: "ms", digits: 1 },
    { key: "onP99Ms", label: "latency p99 with records", unit: "ms", digits: 1 },
    { key: "recordKiB", label: "record size per query (stream bytes / queries)", unit: "KiB", digits: 1 },
    { key: "recordPages", label: "record pages (messages) per query", unit: "", digits: 1 },
  ],
  run: measureRecordCost,
};

interface Round {
  records: "off" | "on";
  queries: number;
  wallSeconds: number;
  schedulerCpuSeconds: number;
  machineCpuSeconds: number;
  p50Ms: number;
  p99Ms: number;
}

async function measureRecordCost({ quick, log }: GoalOptions): Promise<GoalRun> {
  const rounds = quick ? 2 : 8;
  const perRound = quick ? 30 : 400;
  const start = (records: "off" | "on") =>
    startBenchCluster({ workers: 1, capacity: 64, env: { ...instantSim, TTC_QUERY_RECORDS: records } });
  const off = await start("off");
  let on: BenchCluster | undefined;
  try {
    on = await start("on");
    const clusters = { off, on };
    const measured: Round[] = [];
    // A warm-up round each, so neither pays for its JIT and first connections in a measured round.
    for (const records of ["off", "on"] as const) await round(clusters[records], records, Math.ceil(perRound / 4), 0);
    for (let i = 0; i < rounds * 2; i++) {
      // off, on, on, off, off, on…: each gets the first and the second slot of a pair equally often.
      const records = (["off", "on", "on", "off"] as const)[i % 4]!;
      log(`goal 9: round ${i + 1} of ${rounds * 2}: records ${records}, ${perRound} queries`);
      measured.push(await round(clusters[records], records, perRound, (i + 1) * perRound));
    }
    const stream = await recordStream(on);
    const onQueries = measured.filter((r) => r.records === "on").reduce((s, r) => s + r.queries, 0) + Math.ceil(perRound / 4);
    const median = (records: "off" | "on", f: (r: Round) => number) => quantile(measured.filter((r) => r.records === records).map(f), 0.5);
    const qps = (r: Round) => r.queries / r.wallSeconds;
    const schedulerCpu = (r: Round) => r.schedulerCpuSeconds / r.queries;
    const machineCpuPerQuery = (r: Round) => r.machineCpuSeconds / r.queries;
    return {
      values: {
        throughputRatio: median("on", qps) / median("off", qps),
        schedulerCpuRatio: median("on", schedulerCpu) / median("off", schedulerCpu),
        machineCpuRatio: median("on", machineCpuPerQuery) / median("off", machineCpuPerQuery),
        offQps: median("off", qps),
        onQps: median("on", qps),
        offSchedulerCpuMs: median("off", schedulerCpu) * 1000,
        onSchedulerCpuMs: median("on", schedulerCpu) * 1000,
        offP50Ms: median("off", (r) => r.p50Ms),
        onP50Ms: median("on", (r) => r.p50Ms),
        offP99Ms: median("off", (r) => r.p99Ms),
        onP99Ms: median("on", (r) => r.p99Ms),
        recordKiB: stream.bytes / onQueries / 1024,
        recordPages: stream.messages / onQueries,
      },
      details: { branches, concurrency, perRound, rounds: measured, recordStream: stream, recordedQueries: onQueries },
    };
  } finally {
    await on?.stop();
    await off.stop();
  }
}

/** `queries` queries through `cluster`'s scheduler; what they cost. Fails on any query that did not answer. */
async function round(cluster: BenchCluster, records: "off" | "on", queries: number, firstSeed: number): Promise<Round> {
  const pid = cluster.schedulers[0]!.pid;
  const [cpuBefore, machineBefore, started] = [cpuSeconds(pid), machineCpu(), performance.now()];
  const samples = await driveQueries(cluster.harness.client, {
    count: queries,
    concurrency,
    timeoutMs: 60_000,
    request: (i) => ({
      prompt: `sim puzzle record cost ${firstSeed + i}`,
      seed: firstSeed + i + 1,
      maxBranches: branches,
      parallelism: branches,
      mode: ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
      verifier: "none",
      policy: { name: "majority", params: {} },
    }),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const codes = countByCode(samples);
  if (codes["OK"] !== queries) throw new Error(`goal 9: not every query answered (records ${records}): ${JSON.stringify(codes)}`);
  const ms = samples.map((s) => s.seconds * 1000);
  return {
    records,
    queries,
    wallSeconds,
    schedulerCpuSeconds: cpuSeconds(pid) - cpuBefore,
    machineCpuSeconds: busySeconds(machineBefore, machineCpu()),
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
  };
}

/** Bytes and messages in the recording cluster's query-record stream. */
async function recordStream(cluster: BenchCluster): Promise<{ bytes: number; messages: number }> {
  const nc = await connectNats(cluster.harness.cluster.natsUrl, "record-cost-check");
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(wireNames(cluster.harness.namespace).queryRecordStream);
    return { bytes: state.bytes, messages: state.messages };
  } finally {
    await nc.close();
  }
}
