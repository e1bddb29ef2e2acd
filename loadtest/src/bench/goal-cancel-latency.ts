/**
 * Goal 3: prune/cancel → worker stopped, p99 ≤ 5 ms with the machine not saturated, and reported
 * under load. A real cluster (scheduler, verifier, 3 sim workers) runs queries that stop branches
 * early (adaptive policy, all branches at once, `arith` verifier pruning slips); the bench's stop
 * watch times every cancel or prune to the stopped branch's final chunk. Low load is one query at a
 * time; high load keeps enough queries in flight to fill every worker slot and queue more.
 */
import { ExecutionMode } from "@ttc/proto";
import { quantile } from "@ttc/stats";
import { startBenchCluster, type BenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";
import { busyShare, machineCpu } from "./process-stats.js";
import { countByCode, driveQueries } from "./query-driver.js";
import { startStopWatch, type StopWatch } from "./stop-watch.js";

const workers = 3;
const capacity = 16;
const branches = 8;
/**
 * Branches of a few hundred tokens at 1,000 tokens/s that mostly agree (90% right): adaptive settles
 * after the first few finish, while the rest are still running, so most queries stop several branches.
 */
const sim = { TTC_SIM_TOKENS_PER_SECOND: "1000", TTC_SIM_MEAN_TOKENS: "300", TTC_SIM_P_CORRECT: "0.9" };
/** Named, so the stop watch can listen on this scheduler's trace subjects. */
const schedulerId = "bench-scheduler";

export const cancelLatencyGoal: BenchGoal = {
  goal: 3,
  title: "prune/cancel → worker stopped",
  method: `scheduler + ${workers} sim workers (capacity ${capacity}, 1,000 tokens/s, 90% right) + verifier; adaptive × all-parallel × ${branches} branches @arith; a NATS observer times each cancel/prune to the branch's CANCELLED chunk`,
  figures: [
    { key: "lowP99Ms", label: "low load (1 query at a time): p99", unit: "ms", digits: 2, target: { op: "<=", value: 5 } },
    { key: "lowP50Ms", label: "low load: p50", unit: "ms", digits: 2 },
    { key: "lowWorkerP99Ms", label: "low load: p99 as the worker reports it", unit: "ms", digits: 2 },
    { key: "lowBusy", label: "low load: machine CPU busy", unit: "%", digits: 0 },
    { key: "highP50Ms", label: "high load (32 queries in flight): p50", unit: "ms", digits: 2 },
    { key: "highP99Ms", label: "high load: p99", unit: "ms", digits: 2 },
    { key: "highWorkerP99Ms", label: "high load: p99 as the worker reports it", unit: "ms", digits: 2 },
    { key: "highBusy", label: "high load: machine CPU busy", unit: "%", digits: 0 },
  ],
  run: measureCancelLatency,
};

async function measureCancelLatency({ quick, log }: GoalOptions): Promise<GoalRun> {
  const cluster = await startBenchCluster({ workers, capacity, env: { ...sim, TTC_SCHEDULER_ID: schedulerId } });
  const watch = await startStopWatch(cluster.harness.cluster.natsUrl, cluster.harness.namespace, schedulerId);
  try {
    log(`goal 3: warm-up, then low load and high load`);
    await measureLoadLevel(cluster, watch, { queries: quick ? 3 : 10, concurrency: 1 });
    const low = await measureLoadLevel(cluster, watch, { queries: quick ? 8 : 150, concurrency: 1 });
    const high = await measureLoadLevel(cluster, watch, { queries: quick ? 32 : 400, concurrency: 32 });
    return {
      values: {
        lowP99Ms: low.observedMs.p99,
        lowP50Ms: low.observedMs.p50,
        lowWorkerP99Ms: low.workerMs.p99,
        lowBusy: low.busyPercent,
        highP50Ms: high.observedMs.p50,
        highP99Ms: high.observedMs.p99,
        highWorkerP99Ms: high.workerMs.p99,
        highBusy: high.busyPercent,
      },
      details: { low, high },
    };
  } finally {
    await watch.stop();
    await cluster.stop();
  }
}

/** `queries` queries, `concurrency` at a time, and the stops timed meanwhile. */
async function measureLoadLevel(cluster: BenchCluster, watch: StopWatch, o: { queries: number; concurrency: number }) {
  watch.reset();
  const cpuBefore = machineCpu();
  const samples = await driveQueries(cluster.harness.client, {
    count: o.queries,
    concurrency: o.concurrency,
    timeoutMs: 60_000,
    request: (i) => ({
      prompt: `sim puzzle ${i % 50}`,
      seed: i + 1,
      maxBranches: branches,
      parallelism: branches,
      mode: ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
      verifier: "arith",
      policy: { name: "adaptive", params: {} },
    }),
  });
  const busyPercent = busyShare(cpuBefore, machineCpu()) * 100;
  // The last final chunks may still be on their way when the last answer arrives.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const t = watch.timings();
  // No stopped branch means nothing was measured: NaN, never a 0 ms that would look like a pass.
  const ms = (values: number[]) =>
    values.length === 0
      ? { p50: NaN, p99: NaN, max: NaN }
      : { p50: quantile(values, 0.5) * 1000, p99: quantile(values, 0.99) * 1000, max: Math.max(...values) * 1000 };
  return {
    queries: o.queries,
    concurrency: o.concurrency,
    codes: countByCode(samples),
    stoppedBranches: t.observedSeconds.length,
    raced: t.raced,
    cancels: t.cancels,
    observedMs: ms(t.observedSeconds),
    workerMs: ms(t.workerSeconds),
    busyPercent,
  };
}
