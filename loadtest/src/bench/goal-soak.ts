/**
 * Goal 8 (issue 10): a soak. A steady open-loop load (a query every 500 ms: 4 branches × 100 tokens at
 * 200 tokens/s, majority, `arith`, each with a request_id) for 20 minutes (2 in `--quick`) on 3 sim
 * workers supervised as `ttc up` does, with worker 1 or 2 SIGKILLed every minute (the supervisor
 * restarts it). Worker 3 is never killed, so its memory is one process's over the whole run. Figures:
 * queries answered, failed by status, lost (no result and no status by the end); RSS growth of the
 * scheduler and of worker 3 from the first minute after warm-up to the last; tasks left in the stream
 * once the load stops. Warm-up is the first third of the run: V8 grows its heaps in steps for the
 * first minutes (a 20-minute run plateaus after about 7), and growth is measured after that. On demand only (`--goal 8 --runs 1`): `npm run bench` without `--goal` skips it.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { status, TtcClient, type TtcError } from "@ttc/client";
import { connectNats, wireNames } from "@ttc/common";
import { ExecutionMode } from "@ttc/proto";
import { quantile } from "@ttc/stats";
import { request } from "@ttc/test-harness";
import { startBenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";
import { residentBytes } from "./process-stats.js";

const env = {
  TTC_SIM_TOKENS_PER_SECOND: "200",
  TTC_SIM_MEAN_TOKENS: "100",
  TTC_HEARTBEAT_MS: "500",
  TTC_WORKER_LIVENESS_MS: "1500",
  TTC_LOG_LEVEL: "warn",
};
const arrivalEveryMs = 500;
const killEveryMs = 60_000;
const sampleEveryMs = 5_000;

export const soakGoal: BenchGoal = {
  goal: 8,
  title: "soak: steady load with a worker killed every minute",
  method: `a query every ${arrivalEveryMs} ms (4 branches @arith, request_id set) for 20 min (2 with --quick) on 3 sim workers × 4 slots, supervised; worker 1 or 2 SIGKILLed every minute and restarted; RSS sampled every ${sampleEveryMs / 1000} s, growth = median of the last minute over the first minute after a warm-up of a third of the run`,
  onDemand: true,
  figures: [
    { key: "minutes", label: "duration", unit: "min", digits: 1 },
    { key: "queries", label: "queries sent", unit: "", digits: 0 },
    { key: "answered", label: "answered", unit: "", digits: 0 },
    { key: "noAnswer", label: "ended without an answer (a valid result: no branch had one)", unit: "", digits: 0 },
    { key: "failed", label: "failed with a status", unit: "", digits: 0 },
    { key: "lost", label: "lost (neither result nor status)", unit: "", digits: 0, target: { op: "<=", value: 0 } },
    { key: "workerKills", label: "workers killed (and restarted)", unit: "", digits: 0 },
    { key: "p50S", label: "latency p50", unit: "s", digits: 2 },
    { key: "p99S", label: "latency p99", unit: "s", digits: 2 },
    { key: "schedulerRssGrowthPct", label: "scheduler RSS growth after warm-up", unit: "%", digits: 1, target: { op: "<=", value: 10 } },
    {
      key: "workerRssGrowthPct",
      label: "worker RSS growth after warm-up (never killed)",
      unit: "%",
      digits: 1,
      target: { op: "<=", value: 10 },
    },
    { key: "workerHeapUsedGrowthPct", label: "worker V8 heap used, growth after warm-up", unit: "%", digits: 1 },
    { key: "workerHeapTotalGrowthPct", label: "worker V8 heap reserved, growth after warm-up", unit: "%", digits: 1 },
    { key: "schedulerRssMb", label: "scheduler RSS at the end", unit: "MB", digits: 0 },
    { key: "tasksLeft", label: "tasks left in the stream at the end", unit: "", digits: 0, target: { op: "<=", value: 0 } },
  ],
  run: soak,
};

async function soak({ quick, log }: GoalOptions): Promise<GoalRun> {
  const durationMs = (quick ? 2 : 20) * 60_000;
  const cluster = await startBenchCluster({ workers: 3, capacity: 4, env, supervise: true });
  const services = cluster.harness.cluster.services;
  const service = (name: string) => services.find((s) => s.name === name)!;
  const schedulerPid = cluster.schedulers[0]!.pid;
  const steadyWorkerPid = service("worker-3").child.pid!;
  const client = new TtcClient(cluster.schedulers[0]!.grpcAddress, { timeoutMs: 30_000 });
  const outcomes: { code: string; s: number }[] = [];
  const pending = new Set<Promise<void>>();
  const samples: { at: number; scheduler: number; worker: number; heap?: WorkerHeap }[] = [];
  const workerMetricsUrl = String(service("worker-3").ready["metricsUrl"]);
  const started = performance.now();
  let sent = 0;
  let kills = 0;
  const send = () => {
    const i = sent++;
    const t = performance.now();
    const call = client
      .solve(
        request({
          prompt: `sim puzzle ${i % 50}`,
          seed: i + 1,
          requestId: `soak-${i}`,
          maxBranches: 4,
          parallelism: 4,
          mode: ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
          policy: { name: "majority", params: {} },
          verifier: "arith",
        }),
      )
      .then(
        (r) => void outcomes.push({ code: r.answer === "" ? "NO_ANSWER" : "OK", s: (performance.now() - t) / 1000 }),
        (e: TtcError) => void outcomes.push({ code: status[e.code] ?? String(e.code), s: (performance.now() - t) / 1000 }),
      );
    pending.add(call);
    void call.finally(() => pending.delete(call));
  };
  const sample = async () => {
    const scheduler = residentBytes(schedulerPid);
    const worker = residentBytes(steadyWorkerPid);
    const heap = await workerHeap(workerMetricsUrl);
    if (scheduler !== undefined && worker !== undefined) samples.push({ at: performance.now() - started, scheduler, worker, heap });
  };
  const timers = [
    setInterval(send, arrivalEveryMs),
    setInterval(() => void sample(), sampleEveryMs),
    setInterval(() => {
      const victim = service(`worker-${1 + (kills % 2)}`);
      kills++;
      log(
        `goal 8: ${Math.round((performance.now() - started) / 60_000)} min, ${outcomes.length} answered or failed; killing ${victim.name}`,
      );
      victim.child.kill("SIGKILL");
    }, killEveryMs),
  ];
  try {
    await new Promise((r) => setTimeout(r, durationMs));
    for (const t of timers) clearInterval(t);
    await sample();
    // Every call settles within its 30 s deadline: wait for them, then for the stream to empty.
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 40_000))]);
    const lost = pending.size;
    const tasksLeft = await tasksInStream(cluster.harness.cluster.natsUrl, cluster.harness.namespace);
    const answered = outcomes.filter((o) => o.code === "OK").length;
    const byCode = outcomes.reduce<Record<string, number>>((m, o) => ({ ...m, [o.code]: (m[o.code] ?? 0) + 1 }), {});
    const latencies = outcomes.filter((o) => o.code === "OK").map((o) => o.s);
    const growth = (read: (s: (typeof samples)[number]) => number | undefined) => {
      const warm = durationMs / 3;
      const values = (from: number, to: number) =>
        samples.filter((s) => s.at >= from && s.at < to && read(s) !== undefined).map((s) => read(s)!);
      const first = values(warm, warm + 60_000);
      const last = values(durationMs - 60_000, Infinity);
      return first.length && last.length ? (100 * (quantile(last, 0.5) - quantile(first, 0.5))) / quantile(first, 0.5) : NaN;
    };
    return {
      values: {
        minutes: durationMs / 60_000,
        queries: sent,
        answered,
        noAnswer: byCode["NO_ANSWER"] ?? 0,
        failed: outcomes.length - answered - (byCode["NO_ANSWER"] ?? 0),
        lost,
        workerKills: kills,
        p50S: latencies.length ? quantile(latencies, 0.5) : NaN,
        p99S: latencies.length ? quantile(latencies, 0.99) : NaN,
        schedulerRssGrowthPct: growth((s) => s.scheduler),
        workerRssGrowthPct: growth((s) => s.worker),
        workerHeapUsedGrowthPct: growth((s) => s.heap?.used),
        workerHeapTotalGrowthPct: growth((s) => s.heap?.total),
        schedulerRssMb: (samples.at(-1)?.scheduler ?? NaN) / 1_048_576,
        tasksLeft,
      },
      details: {
        env,
        outcomes: byCode,
        // [seconds, scheduler RSS, worker RSS, worker heap used, worker heap total, worker external, worker new space] in bytes
        rssSamples: samples.map((s) => [
          Math.round(s.at / 1000),
          s.scheduler,
          s.worker,
          s.heap?.used,
          s.heap?.total,
          s.heap?.external,
          s.heap?.newSpace,
        ]),
      },
    };
  } finally {
    for (const t of timers) clearInterval(t);
    client.close();
    await cluster.stop();
  }
}

/** The worker's V8 heap from its own /metrics (prom-client's default metrics), to tell retained objects from heap sizing. */
interface WorkerHeap {
  used: number;
  total: number;
  external: number;
  /** The young generation's reservation (two semi-spaces): V8 doubles it under allocation pressure. */
  newSpace: number;
}

async function workerHeap(metricsUrl: string): Promise<WorkerHeap | undefined> {
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2_000) })).text();
    const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)$`, "m").exec(text)?.[1]);
    const heap = {
      used: read("nodejs_heap_size_used_bytes"),
      total: read("nodejs_heap_size_total_bytes"),
      external: read("nodejs_external_memory_bytes"),
      newSpace: read('nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
    };
    return Object.values(heap).every(Number.isFinite) ? heap : undefined;
  } catch {
    return undefined;
  }
}

/** Messages left in the task stream, once it had up to 10 s to empty. */
async function tasksInStream(natsUrl: string, namespace: string): Promise<number> {
  const nc = await connectNats(natsUrl, "soak-check");
  try {
    const jsm = await jetstreamManager(nc);
    const stream = wireNames(namespace).taskStream;
    let left = 0;
    for (let i = 0; i < 20; i++) {
      left = (await jsm.streams.info(stream)).state.messages;
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    return left;
  } finally {
    await nc.close();
  }
}
