/**
 * Goal 7 (issue 10): what a fault costs a query. One query at a time (4 branches × 300 tokens at
 * 150 tokens/s, all at once, `arith` verifier) on 3 sim workers of one slot each, with JetStream's ack
 * wait at its 30 s default and services restarted by the supervisor as `ttc up` does; for each fault,
 * the query's latency against an undisturbed one just before, its wasted tokens, and whether it was
 * lost (no answer). Faults: a worker SIGKILLed mid-branch; a worker SIGSTOPped for 4 s; the verifier
 * SIGSTOPped for the whole query. Last, the scheduler SIGKILLed mid-query: how long until the workers
 * stopped its branches, and the tokens they generated meanwhile.
 */
import type { ServiceProcess } from "@ttc/cli";
import { TtcClient } from "@ttc/client";
import { ExecutionMode, type SolveEvent, type SolveResult } from "@ttc/proto";
import { collect, request, scrape } from "@ttc/test-harness";
import { startBenchCluster, type BenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";

const env = {
  TTC_SIM_TOKENS_PER_SECOND: "150",
  TTC_SIM_MEAN_TOKENS: "300",
  TTC_SIM_LENGTH_SIGMA: "0",
  TTC_HEARTBEAT_MS: "500",
  TTC_WORKER_LIVENESS_MS: "1500",
};
const ask = (prompt: string) =>
  request({
    prompt,
    maxBranches: 4,
    parallelism: 4,
    mode: ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
    policy: { name: "majority", params: {} },
    verifier: "arith",
  });

export const faultsGoal: BenchGoal = {
  goal: 7,
  title: "what a fault costs a query",
  method: `3 sim workers × 1 slot (150 tokens/s, 300-token branches), heartbeats every 500 ms, worker liveness 1.5 s, ack wait 30 s, services supervised; one query of 4 branches @arith at a time; each fault against the undisturbed query just before`,
  figures: [
    { key: "workerKillExtraS", label: "worker SIGKILL: extra latency", unit: "s", digits: 2, target: { op: "<=", value: 3 } },
    { key: "workerKillWasted", label: "worker SIGKILL: tokens wasted beyond the baseline's", unit: "", digits: 0 },
    { key: "workerStopExtraS", label: "worker SIGSTOP 4 s: extra latency", unit: "s", digits: 2, target: { op: "<=", value: 3 } },
    { key: "workerStopWasted", label: "worker SIGSTOP: tokens wasted beyond the baseline's", unit: "", digits: 0 },
    { key: "verifierStopExtraS", label: "verifier SIGSTOP: extra latency", unit: "s", digits: 2, target: { op: "<=", value: 1 } },
    { key: "verifierSameAnswer", label: "verifier SIGSTOP: same answer and votes", unit: "", digits: 0 },
    { key: "schedulerKillStopS", label: "scheduler SIGKILL: until its branches stopped", unit: "s", digits: 2 },
    { key: "schedulerKillTokens", label: "scheduler SIGKILL: tokens generated meanwhile", unit: "", digits: 0 },
    { key: "lost", label: "queries lost", unit: "", digits: 0, target: { op: "<=", value: 0 } },
  ],
  run: measureFaults,
};

async function measureFaults({ log }: GoalOptions): Promise<GoalRun> {
  const cluster = await startBenchCluster({ workers: 3, capacity: 1, env, supervise: true });
  const client = new TtcClient(cluster.schedulers[0]!.grpcAddress, { timeoutMs: 60_000, retry: { maxAttempts: 1 } });
  const service = (name: string) => cluster.harness.cluster.services.find((s) => s.name === name)!;
  let lost = 0;
  const timed = async (prompt: string, fault?: (events: SolveEvent[]) => Promise<void>) => {
    const started = performance.now();
    const { events, done } = collect(client.solveStream(ask(prompt)));
    if (fault) await fault(events);
    const error = await done;
    const last = events.at(-1)?.event;
    if (error || last?.$case !== "result" || last.value.answer === "") {
      lost++;
      return undefined;
    }
    return { r: last.value, s: (performance.now() - started) / 1000 };
  };
  /** The worker of a branch once it has streamed a little. */
  const busyWorker = async (events: SolveEvent[]): Promise<ServiceProcess> => {
    for (;;) {
      const p = events.find((e) => e.event?.$case === "branchProgress" && e.event.value.tokens >= 30)?.event;
      if (p?.$case === "branchProgress") {
        const s = events.find((e) => e.event?.$case === "branchStarted" && e.event.value.index === p.value.index)?.event;
        if (s?.$case === "branchStarted") return service(s.value.workerId);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const pair = async (name: string, fault: (events: SolveEvent[]) => Promise<void>) => {
    const base = await timed(name); // the same query (prompt and seed), undisturbed
    const hit = await timed(`${name}`, fault);
    // Let the supervisor bring a killed service back before the next fault.
    await new Promise((r) => setTimeout(r, 2_500));
    // Waste beyond the baseline's (the verifier prunes wrong branches in both): what the fault cost.
    return base && hit
      ? { extra: hit.s - base.s, wasted: hit.r.compute!.wastedTokens - base.r.compute!.wastedTokens, base: base.r, hit: hit.r }
      : undefined;
  };
  try {
    log("goal 7: worker SIGKILL");
    const kill = await pair("kill a worker", async (events) => void (await busyWorker(events)).child.kill("SIGKILL"));
    log("goal 7: worker SIGSTOP for 4 s");
    const stop = await pair("freeze a worker", async (events) => {
      const w = await busyWorker(events);
      w.child.kill("SIGSTOP");
      setTimeout(() => w.child.kill("SIGCONT"), 4_000);
    });
    await new Promise((r) => setTimeout(r, 2_000));
    log("goal 7: verifier SIGSTOP");
    const verifier = service("verifier");
    const base = await timed("sim puzzle 5");
    verifier.child.kill("SIGSTOP");
    const hit = await timed("sim puzzle 5");
    verifier.child.kill("SIGCONT");
    const same = (a?: SolveResult, b?: SolveResult) =>
      Number(!!a && !!b && a.answer === b.answer && JSON.stringify(a.votes) === JSON.stringify(b.votes));
    log("goal 7: scheduler SIGKILL");
    const killed = await schedulerKill(cluster);
    return {
      values: {
        workerKillExtraS: kill?.extra ?? NaN,
        workerKillWasted: kill?.wasted ?? NaN,
        workerStopExtraS: stop?.extra ?? NaN,
        workerStopWasted: stop?.wasted ?? NaN,
        verifierStopExtraS: base && hit ? hit.s - base.s : NaN,
        verifierSameAnswer: same(base?.r, hit?.r),
        schedulerKillStopS: killed.stopS,
        schedulerKillTokens: killed.tokens,
        lost,
      },
      details: {
        env,
        verifierStop: { baselineS: base?.s, hitS: hit?.s, degraded: hit?.r.verifierDegraded, note: hit?.r.verifierNote },
        workerKill: kill && { extraS: kill.extra, wasted: kill.wasted },
        workerStop: stop && { extraS: stop.extra, wasted: stop.wasted },
      },
    };
  } finally {
    client.close();
    await cluster.stop();
  }
}

/** Kills the scheduler mid-query; seconds until the workers' active branches are 0, and the tokens they generated meanwhile. */
async function schedulerKill(cluster: BenchCluster): Promise<{ stopS: number; tokens: number }> {
  const workers = () =>
    cluster.harness.cluster.services.filter((s) => s.name.startsWith("worker")).map((s) => String(s.ready["metricsUrl"]));
  const sum = async (name: string) =>
    (await Promise.all(workers().map((u) => scrape(u).catch(() => new Map<string, number>())))).reduce((s, m) => s + (m.get(name) ?? 0), 0);
  const client = new TtcClient(cluster.schedulers[0]!.grpcAddress, { timeoutMs: 60_000, retry: { maxAttempts: 1 } });
  const { events, done } = collect(client.solveStream(ask("orphaned")));
  while (events.filter((e) => e.event?.$case === "branchProgress").length < 4) await new Promise((r) => setTimeout(r, 20));
  const tokensAtKill = await sum("ttc_worker_generated_tokens_total");
  const killedAt = performance.now();
  cluster.harness.cluster.services.find((s) => s.name === "scheduler")!.child.kill("SIGKILL");
  await done;
  client.close();
  while ((await sum("ttc_worker_active_branches")) > 0 && performance.now() - killedAt < 30_000)
    await new Promise((r) => setTimeout(r, 50));
  return { stopS: (performance.now() - killedAt) / 1000, tokens: (await sum("ttc_worker_generated_tokens_total")) - tokensAtKill };
}
