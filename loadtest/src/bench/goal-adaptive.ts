/**
 * Goal 5: adaptive stopping against "ask for 16 and wait for all" (majority × all-parallel × 16):
 * tokens per query ≤ 0.6× the baseline's, at a latency p50 ≤ 1.0× the baseline's. The target is
 * judged on adaptive in the default execution mode (waves, up to 16 in flight); adaptive with all 16
 * launched at once (stopping early and cancelling the rest) is reported alongside. All arms run in one
 * load, their queries interleaved at random (`runLoad`'s weighted mix), so they share the machine's
 * moment; the figures are ratios within that run.
 */
import { runLoad, type ScenarioInput } from "../mod.js";
import { startBenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";

const branches = 16;

export const adaptiveGoal: BenchGoal = {
  goal: 5,
  title: "adaptive vs ask for 16 and wait for all",
  method: `one closed-loop load of 8 queries in flight mixing adaptive × waves (parallelism ${branches}), adaptive × all-parallel and majority × all-parallel, ${branches} branches each, verifier none, sim at 200 tokens/s (mean 300 tokens, 60% right)`,
  figures: [
    { key: "tokensRatio", label: "tokens per query, adaptive / all-16", unit: "×", digits: 2, target: { op: "<=", value: 0.6 } },
    { key: "latencyP50Ratio", label: "latency p50, adaptive / all-16", unit: "×", digits: 2, target: { op: "<=", value: 1 } },
    { key: "adaptiveTokens", label: "adaptive: tokens per query", unit: "", digits: 0 },
    { key: "baselineTokens", label: "all-16: tokens per query", unit: "", digits: 0 },
    { key: "adaptiveP50S", label: "adaptive: latency p50", unit: "s", digits: 2 },
    { key: "baselineP50S", label: "all-16: latency p50", unit: "s", digits: 2 },
    { key: "allAtOnceTokensRatio", label: "adaptive × all-parallel: tokens / all-16", unit: "×", digits: 2 },
    { key: "allAtOnceLatencyP50Ratio", label: "adaptive × all-parallel: latency p50 / all-16", unit: "×", digits: 2 },
  ],
  run: measureAdaptive,
};

async function measureAdaptive({ quick, log }: GoalOptions): Promise<GoalRun> {
  const queries = quick ? 30 : 300;
  // Slots for every branch in flight (8 queries × 16), so neither arm waits in the queue for the other.
  const cluster = await startBenchCluster({ workers: 2, capacity: 64, env: {} });
  try {
    log(`goal 5: ${queries} queries, a third of each arm`);
    const results = await runLoad({ addr: cluster.schedulers[0]!.grpcAddress, scenario: scenario(queries) });
    const adaptive = results.summary.byTemplate["adaptive"]!;
    const allAtOnce = results.summary.byTemplate["adaptive-all-parallel"]!;
    const baseline = results.summary.byTemplate["all-16"]!;
    const failed = results.summary.queries - results.summary.answered;
    if (failed > 0) throw new Error(`goal 5: ${failed} queries did not answer: ${JSON.stringify(results.summary.errors)}`);
    return {
      values: {
        tokensRatio: adaptive.tokensPerQuery / baseline.tokensPerQuery,
        latencyP50Ratio: adaptive.latencySeconds.p50 / baseline.latencySeconds.p50,
        adaptiveTokens: adaptive.tokensPerQuery,
        baselineTokens: baseline.tokensPerQuery,
        adaptiveP50S: adaptive.latencySeconds.p50,
        baselineP50S: baseline.latencySeconds.p50,
        allAtOnceTokensRatio: allAtOnce.tokensPerQuery / baseline.tokensPerQuery,
        allAtOnceLatencyP50Ratio: allAtOnce.latencySeconds.p50 / baseline.latencySeconds.p50,
      },
      details: { queries, adaptive, allAtOnce, baseline },
    };
  } finally {
    await cluster.stop();
  }
}

function scenario(queries: number): ScenarioInput {
  const common = {
    prompts: { template: "sim puzzle {i}" },
    maxBranches: branches,
    parallelism: branches,
    verifier: "none",
    deadlineMs: 120_000,
  };
  return {
    load: { arrival: "closed", concurrency: 8, queries },
    mix: [
      { name: "adaptive", ...common, mode: "waves", policy: { name: "adaptive", params: {} } },
      { name: "adaptive-all-parallel", ...common, mode: "all-parallel", policy: { name: "adaptive", params: {} } },
      { name: "all-16", ...common, mode: "all-parallel", policy: { name: "majority", params: {} } },
    ],
  };
}
