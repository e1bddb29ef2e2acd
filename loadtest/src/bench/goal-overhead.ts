/**
 * Goal 1: per-query overhead at low load ≤ 2× the raw floor. One query at a time, a ttc query that
 * does the least work there is (one branch, an instant sim of a few tokens, no verifier) interleaved
 * with raw-floor samples against the same nats-server, so both see the same machine at the same moment.
 */
import { quantile } from "@ttc/stats";
import { startBenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";
import { busyShare, machineCpu } from "./process-stats.js";
import { driveQueries, type QuerySample } from "./query-driver.js";
import { startRawFloor, type FloorSample } from "./raw-floor.js";

/** The sim generates as fast as it can (its shortest branches; the request cuts them at 16 tokens): the query's work is all plumbing. */
const instantSim = { TTC_SIM_TOKENS_PER_SECOND: "0", TTC_SIM_MEAN_TOKENS: "40", TTC_SIM_LENGTH_SIGMA: "0" };

export const overheadGoal: BenchGoal = {
  goal: 1,
  title: "per-query overhead at low load",
  method:
    "one query at a time: a minimal ttc query (1 branch, instant sim, verifier none) alternating with a raw floor sample (gRPC unary echo + 2 NATS request/replies on the same nats-server, both answered by another process)",
  figures: [
    { key: "ratio", label: "p50 ttc query / p50 raw floor", unit: "×", digits: 2, target: { op: "<=", value: 2 } },
    { key: "ttcP50Ms", label: "p50 minimal ttc query (client)", unit: "ms", digits: 2 },
    { key: "schedulerP50Ms", label: "p50 of it inside the scheduler (accepted → result)", unit: "ms", digits: 2 },
    { key: "queuedP50Ms", label: "p50 of it until the worker picked the task up", unit: "ms", digits: 2 },
    { key: "floorP50Ms", label: "p50 raw floor", unit: "ms", digits: 2 },
    { key: "grpcP50Ms", label: "p50 raw gRPC echo", unit: "ms", digits: 2 },
    { key: "natsP50Ms", label: "p50 two raw NATS request/replies", unit: "ms", digits: 2 },
    { key: "busy", label: "machine CPU busy meanwhile", unit: "%", digits: 0 },
  ],
  run: measureOverhead,
};

async function measureOverhead({ quick, log }: GoalOptions): Promise<GoalRun> {
  const warmup = quick ? 5 : 30;
  const measured = quick ? 20 : 300;
  const cluster = await startBenchCluster({ workers: 1, capacity: 4, env: instantSim });
  const floor = await startRawFloor(cluster.harness.cluster.natsUrl);
  const ttcQuery = async (i: number): Promise<QuerySample> => {
    const [sample] = await driveQueries(cluster.harness.client, {
      count: 1,
      concurrency: 1,
      timeoutMs: 10_000,
      request: () => ({
        prompt: "sim puzzle 1",
        seed: i + 1,
        maxBranches: 1,
        maxTokensPerBranch: 16,
        verifier: "none",
        policy: { name: "majority", params: {} },
      }),
    });
    if (sample!.code !== "OK") throw new Error(`a minimal ttc query failed with ${sample!.code}`);
    return sample!;
  };
  try {
    log(`goal 1: ${warmup} warm-up and ${measured} measured pairs`);
    const ttc: QuerySample[] = [];
    const raw: FloorSample[] = [];
    const cpuBefore = machineCpu();
    for (let i = 0; i < warmup + measured; i++) {
      // Alternate which goes first, so neither always runs on a machine just woken by the other.
      let floorSample: FloorSample;
      let ttcSample: QuerySample;
      if (i % 2 === 0) {
        floorSample = await floor.sample();
        ttcSample = await ttcQuery(i);
      } else {
        ttcSample = await ttcQuery(i);
        floorSample = await floor.sample();
      }
      if (i < warmup) continue;
      raw.push(floorSample);
      ttc.push(ttcSample);
    }
    const ms = <T>(samples: T[], seconds: (s: T) => number, q = 0.5) => quantile(samples.map(seconds), q) * 1000;
    const ttcP50Ms = ms(ttc, (s) => s.seconds);
    const floorP50Ms = ms(raw, (s) => s.totalSeconds);
    return {
      values: {
        ratio: ttcP50Ms / floorP50Ms,
        ttcP50Ms,
        schedulerP50Ms: ms(ttc, (s) => s.schedulerSeconds),
        queuedP50Ms: ms(ttc, (s) => s.queuedSeconds),
        floorP50Ms,
        grpcP50Ms: ms(raw, (s) => s.grpcSeconds),
        natsP50Ms: ms(raw, (s) => s.natsSeconds),
        busy: busyShare(cpuBefore, machineCpu()) * 100,
      },
      details: {
        pairs: measured,
        ttcMs: { p90: ms(ttc, (s) => s.seconds, 0.9), p99: ms(ttc, (s) => s.seconds, 0.99) },
        floorMs: { p90: ms(raw, (s) => s.totalSeconds, 0.9), p99: ms(raw, (s) => s.totalSeconds, 0.99) },
      },
    };
  } finally {
    await floor.close();
    await cluster.stop();
  }
}
