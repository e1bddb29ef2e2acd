/**
 * Goal 2: ≥ 100,000 trace chunks per second per scheduler core. A real scheduler process with no sim
 * workers; the bench's fake worker answers every branch task at once with many small chunks, over
 * many concurrent queries, so the chunks come as fast as the scheduler takes them (as far as two
 * shared cores allow). The scheduler's CPU time comes from /proc, so chunks per CPU-second is the
 * rate one core sustains, whether or not the scheduler got a whole core to itself.
 *
 * Two phases with the same queries: "chunky" (many PROGRESS chunks per branch) and "bare" (STARTED and
 * FINISHED only). The bare phase gives the CPU cost of a query itself; the difference between the two
 * gives the marginal cost of one more chunk.
 */
import { ExecutionMode } from "@ttc/proto";
import { startBenchCluster, type BenchCluster } from "./bench-cluster.js";
import { startFakeWorker, type FakeWorker } from "./fake-worker.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";
import { cpuSeconds } from "./process-stats.js";
import { countByCode, driveQueries } from "./query-driver.js";

export const chunkThroughputGoal: BenchGoal = {
  goal: 2,
  title: "trace chunks per scheduler core",
  method:
    "real scheduler, no sim workers; a bench-side fake worker answers every task of 8-branch queries (200 at once) with 100 PROGRESS chunks; scheduler CPU from /proc/PID/stat",
  figures: [
    { key: "chunksPerCpuSecond", label: "chunks per scheduler CPU-second", unit: "/s", digits: 0, target: { op: ">=", value: 100_000 } },
    { key: "cpuUsPerChunk", label: "scheduler CPU per chunk (all-in)", unit: "µs", digits: 2 },
    { key: "marginalCpuUsPerChunk", label: "scheduler CPU per extra chunk", unit: "µs", digits: 2 },
    { key: "cpuUsPerQuery", label: "scheduler CPU per 8-branch query (2 chunks/branch)", unit: "µs", digits: 0 },
    { key: "chunksPerWallSecond", label: "chunks per wall second", unit: "/s", digits: 0 },
    { key: "schedulerCpuShare", label: "scheduler CPU share during the chunky phase", unit: "cores", digits: 2 },
  ],
  run: measureChunkThroughput,
};

const branches = 8;

/** What one phase cost the scheduler. */
interface Phase {
  queries: number;
  chunks: number;
  cpuSeconds: number;
  wallSeconds: number;
  codes: Record<string, number>;
}

async function measureChunkThroughput({ quick, log }: GoalOptions): Promise<GoalRun> {
  const queries = quick ? 40 : 1_000;
  const concurrency = quick ? 10 : 200;
  const progressChunks = quick ? 10 : 100;
  const cluster = await startBenchCluster({ workers: 0, capacity: 1, env: {} });
  const fake = await startFakeWorker(cluster.harness.cluster.natsUrl, cluster.harness.namespace, progressChunks);
  try {
    log(
      `goal 2: warm-up, then ${queries} queries × ${branches} branches at ${concurrency} at once, with ${progressChunks} and with 0 progress chunks`,
    );
    await runPhase(cluster, fake, { queries: Math.ceil(queries / 4), concurrency, progressChunks });
    const chunky = await runPhase(cluster, fake, { queries, concurrency, progressChunks });
    const bare = await runPhase(cluster, fake, { queries, concurrency, progressChunks: 0 });
    const cpuPerQueryBare = bare.cpuSeconds / bare.queries;
    const extraChunksPerQuery = chunky.chunks / chunky.queries - bare.chunks / bare.queries;
    return {
      values: {
        chunksPerCpuSecond: chunky.chunks / chunky.cpuSeconds,
        cpuUsPerChunk: (chunky.cpuSeconds / chunky.chunks) * 1e6,
        marginalCpuUsPerChunk: ((chunky.cpuSeconds / chunky.queries - cpuPerQueryBare) / extraChunksPerQuery) * 1e6,
        cpuUsPerQuery: cpuPerQueryBare * 1e6,
        chunksPerWallSecond: chunky.chunks / chunky.wallSeconds,
        schedulerCpuShare: chunky.cpuSeconds / chunky.wallSeconds,
      },
      details: { branches, concurrency, progressChunks, chunky, bare },
    };
  } finally {
    await fake.stop();
    await cluster.stop();
  }
}

async function runPhase(
  cluster: BenchCluster,
  fake: FakeWorker,
  o: { queries: number; concurrency: number; progressChunks: number },
): Promise<Phase> {
  const pid = cluster.schedulers[0]!.pid;
  fake.progressChunks = o.progressChunks;
  const chunksBefore = fake.chunksSent;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const samples = await driveQueries(cluster.harness.client, {
    count: o.queries,
    concurrency: o.concurrency,
    timeoutMs: 120_000,
    request: (i) => ({
      prompt: `bench chunk throughput ${i}`,
      seed: i + 1,
      maxBranches: branches,
      parallelism: branches,
      mode: ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
      verifier: "none",
      policy: { name: "majority", params: {} },
    }),
  });
  const phase = {
    queries: o.queries,
    chunks: fake.chunksSent - chunksBefore,
    cpuSeconds: cpuSeconds(pid) - cpuBefore,
    wallSeconds: (performance.now() - started) / 1000,
    codes: countByCode(samples),
  };
  if (phase.codes["OK"] !== o.queries) throw new Error(`goal 2: not every query answered: ${JSON.stringify(phase.codes)}`);
  return phase;
}
