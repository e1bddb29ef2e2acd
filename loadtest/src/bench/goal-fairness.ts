/**
 * Goal 6 (issue 9): two tenants share one fleet, one of them flooding it. A quiet tenant's queries,
 * one at a time, keep a latency p50 within 1.5× of running alone while another tenant keeps 256
 * queries in flight on a fleet that can run a fraction of them. Measured three ways in one cluster
 * of each kind: the quiet tenant alone, then under the flood with the scheduler's fair sharing by
 * tokens (the default), then under the same flood in a cluster whose scheduler lets every task into
 * the work queue at once (first come, first served), to show what the sharing prevents.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTestCertificates } from "@ttc/test-harness";
import { runLoad, type ScenarioInput, type TemplateInput } from "../mod.js";
import { startBenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";

const workers = 2;
const slotsPerWorker = 32;
const floodInFlight = 256;
const branches = 8;
const template: Omit<TemplateInput, "name"> = {
  prompts: { template: "sim puzzle {i}" },
  maxBranches: branches,
  parallelism: branches,
  mode: "all-parallel",
  verifier: "none",
  policy: { name: "majority", params: {} },
  deadlineMs: 300_000,
};

export const fairnessGoal: BenchGoal = {
  goal: 6,
  title: "one tenant floods, another's latency holds",
  method: `${workers} sim workers × ${slotsPerWorker} slots (200 tokens/s, mean 300 tokens); the quiet tenant sends one query of ${branches} branches at a time, alone and then while the flooding tenant keeps ${floodInFlight} such queries in flight; the same flood once more with fair sharing off (every task to the work queue at once)`,
  figures: [
    { key: "p50Ratio", label: "quiet tenant's latency p50, flooded / alone", unit: "×", digits: 2, target: { op: "<=", value: 1.5 } },
    { key: "aloneP50S", label: "quiet tenant alone: latency p50", unit: "s", digits: 2 },
    { key: "floodedP50S", label: "quiet tenant flooded: latency p50", unit: "s", digits: 2 },
    { key: "floodedP90S", label: "quiet tenant flooded: latency p90", unit: "s", digits: 2 },
    { key: "floodAnsweredPerS", label: "flooding tenant: queries answered per s", unit: "/s", digits: 2 },
    { key: "fifoP50Ratio", label: "fair sharing off: quiet p50, flooded / alone", unit: "×", digits: 2 },
  ],
  run: measureFairness,
};

async function measureFairness({ quick, log }: GoalOptions): Promise<GoalRun> {
  const quietQueries = quick ? 4 : 15;
  const fifoQuietQueries = quick ? 1 : 3;
  const pki = makeTestCertificates("ttc-bench");
  const tokensFile = join(pki.dir, "tokens");
  writeFileSync(tokensFile, "flood tok-flood\nquiet tok-quiet\n");
  const env = {
    TTC_GRPC_TLS_CERT: pki.serverCert,
    TTC_GRPC_TLS_KEY: pki.serverKey,
    TTC_GRPC_TOKENS_FILE: tokensFile,
    TTC_MAX_CONCURRENT_QUERIES: "1000",
    TTC_SIM_TOKENS_PER_SECOND: "200",
  };
  const connection = (token: string) => ({ tls: { ca: pki.read(pki.caCert) }, token });
  const quietScenario = (queries: number): ScenarioInput => ({
    load: { arrival: "closed", concurrency: 1, queries },
    mix: [{ name: "quiet", ...template }],
  });

  /** The quiet tenant's p50 (s) under a flood on `addr`, and the flood's answers per second. */
  async function flooded(addr: string, queries: number): Promise<{ p50: number; p90: number; floodPerS: number }> {
    const stop = new AbortController();
    const flood = runLoad({
      addr,
      connection: connection("tok-flood"),
      scenario: {
        load: { arrival: "closed", concurrency: floodInFlight, durationSeconds: 3_000, graceSeconds: 1 },
        mix: [{ name: "flood", ...template }],
      },
      signal: stop.signal,
    });
    // Let the flood fill the fleet and the queue first.
    await new Promise((r) => setTimeout(r, 5_000));
    const quiet = await runLoad({ addr, connection: connection("tok-quiet"), scenario: quietScenario(queries) });
    stop.abort();
    const floodResults = await flood;
    const q = quiet.summary;
    if (q.answered < q.queries) throw new Error(`goal 6: quiet queries failed: ${JSON.stringify(q.errors)}`);
    return {
      p50: q.latencySeconds.p50,
      p90: q.latencySeconds.p90,
      floodPerS: floodResults.summary.answered / floodResults.summary.durationSeconds,
    };
  }

  const fair = await startBenchCluster({ workers, capacity: slotsPerWorker, env });
  let alone: number;
  let withSharing: Awaited<ReturnType<typeof flooded>>;
  try {
    log(`goal 6: quiet tenant alone, ${quietQueries} queries`);
    const a = await runLoad({
      addr: fair.schedulers[0]!.grpcAddress,
      connection: connection("tok-quiet"),
      scenario: quietScenario(quietQueries),
    });
    alone = a.summary.latencySeconds.p50;
    log(`goal 6: quiet tenant under a flood of ${floodInFlight} queries, fair sharing on`);
    withSharing = await flooded(fair.schedulers[0]!.grpcAddress, quietQueries);
  } finally {
    await fair.stop();
  }
  const fifo = await startBenchCluster({ workers, capacity: slotsPerWorker, env: { ...env, TTC_DISPATCH_BACKLOG_PERCENT: "100000" } });
  let withoutSharing: Awaited<ReturnType<typeof flooded>>;
  try {
    log(`goal 6: the same flood, fair sharing off, ${fifoQuietQueries} quiet queries`);
    withoutSharing = await flooded(fifo.schedulers[0]!.grpcAddress, fifoQuietQueries);
  } finally {
    await fifo.stop();
  }
  return {
    values: {
      p50Ratio: withSharing.p50 / alone,
      aloneP50S: alone,
      floodedP50S: withSharing.p50,
      floodedP90S: withSharing.p90,
      floodAnsweredPerS: withSharing.floodPerS,
      fifoP50Ratio: withoutSharing.p50 / alone,
    },
    details: { quietQueries, fifoQuietQueries, slots: workers * slotsPerWorker, floodInFlight, branches, withSharing, withoutSharing },
  };
}
