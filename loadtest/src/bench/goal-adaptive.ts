/**
 * Goal 5: adaptive stopping against "ask for 16 and wait for all" (majority × all-parallel × 16, no
 * verifier): tokens per query ≤ 0.6× the baseline's, at a latency p50 ≤ 1.0× the baseline's, on the
 * same load. The load is a fleet with fewer slots than the baseline wants (16 queries in flight × 16
 * branches on 128 slots), as in the measurement, where tokens a strategy does not spend are
 * slots another query gets. Each arm runs that same closed-loop load on its own, one after another in
 * one cluster (arms mixed in one load would share one queue and hide that). The target is judged on
 * the product's configuration: adaptive in waves (the default mode) with the `arith` partial
 * verifier, which prunes a branch at its first visible slip; adaptive without a verifier and adaptive
 * launching all 16 at once are reported alongside, with every arm's accuracy against the simulator's
 * truth, so a saving bought with wrong answers shows.
 */
import { planProblem } from "@ttc/sim";
import { runLoad, type QueryRecord, type TemplateInput } from "../mod.js";
import { startBenchCluster } from "./bench-cluster.js";
import type { BenchGoal, GoalOptions, GoalRun } from "./goal.js";

const branches = 16;
const inFlight = 16;
const workers = 2;
const slotsPerWorker = 64;
/** The simulator's default number of distinct wrong answers (the workers run with its defaults). */
const simWrongAnswers = 4;
const promptTemplate = "sim puzzle {i}";

interface Arm {
  name: string;
  template: Omit<TemplateInput, "name">;
}

const common = { prompts: { template: promptTemplate }, maxBranches: branches, parallelism: branches, deadlineMs: 120_000 };
const arms: Arm[] = [
  { name: "adaptive@arith", template: { ...common, mode: "waves", verifier: "arith", policy: { name: "adaptive", params: {} } } },
  { name: "adaptive", template: { ...common, mode: "waves", verifier: "none", policy: { name: "adaptive", params: {} } } },
  {
    name: "adaptive@arith-all",
    template: { ...common, mode: "all-parallel", verifier: "arith", policy: { name: "adaptive", params: {} } },
  },
  { name: "all-16", template: { ...common, mode: "all-parallel", verifier: "none", policy: { name: "majority", params: {} } } },
];

export const adaptiveGoal: BenchGoal = {
  goal: 5,
  title: "adaptive vs ask for 16 and wait for all",
  method: `each arm alone on the same closed-loop load, ${inFlight} queries in flight × ${branches} branches on ${workers} sim workers × ${slotsPerWorker} slots (200 tokens/s, mean 300 tokens, 60% right, 60% of wrong branches with a visible slip): adaptive@arith in waves (judged), adaptive in waves, adaptive@arith all-parallel, majority all-parallel with no verifier (all-16)`,
  figures: [
    { key: "tokensRatio", label: "tokens per query, adaptive@arith / all-16", unit: "×", digits: 2, target: { op: "<=", value: 0.6 } },
    { key: "latencyP50Ratio", label: "latency p50, adaptive@arith / all-16", unit: "×", digits: 2, target: { op: "<=", value: 1 } },
    { key: "adaptiveTokens", label: "adaptive@arith: tokens per query", unit: "", digits: 0 },
    { key: "baselineTokens", label: "all-16: tokens per query", unit: "", digits: 0 },
    { key: "adaptiveP50S", label: "adaptive@arith: latency p50", unit: "s", digits: 2 },
    { key: "baselineP50S", label: "all-16: latency p50", unit: "s", digits: 2 },
    { key: "adaptiveAccuracy", label: "adaptive@arith: right answers", unit: "%", digits: 1 },
    { key: "baselineAccuracy", label: "all-16: right answers", unit: "%", digits: 1 },
    { key: "noVerifierTokensRatio", label: "adaptive (no verifier): tokens / all-16", unit: "×", digits: 2 },
    { key: "noVerifierLatencyP50Ratio", label: "adaptive (no verifier): latency p50 / all-16", unit: "×", digits: 2 },
    { key: "noVerifierAccuracy", label: "adaptive (no verifier): right answers", unit: "%", digits: 1 },
    { key: "allAtOnceTokensRatio", label: "adaptive@arith all-parallel: tokens / all-16", unit: "×", digits: 2 },
    { key: "allAtOnceLatencyP50Ratio", label: "adaptive@arith all-parallel: latency p50 / all-16", unit: "×", digits: 2 },
    { key: "allAtOnceAccuracy", label: "adaptive@arith all-parallel: right answers", unit: "%", digits: 1 },
  ],
  run: measureAdaptive,
};

interface ArmFigures {
  tokensPerQuery: number;
  p50Seconds: number;
  accuracyPercent: number;
  queries: number;
}

async function measureAdaptive({ quick, log }: GoalOptions): Promise<GoalRun> {
  const queries = quick ? 32 : 160;
  const cluster = await startBenchCluster({ workers, capacity: slotsPerWorker, env: {} });
  try {
    const figures: Record<string, ArmFigures> = {};
    for (const arm of arms) {
      log(`goal 5: ${arm.name}, ${queries} queries, ${inFlight} in flight`);
      const results = await runLoad({
        addr: cluster.schedulers[0]!.grpcAddress,
        scenario: { load: { arrival: "closed", concurrency: inFlight, queries }, mix: [{ name: arm.name, ...arm.template }] },
      });
      const summary = results.summary.byTemplate[arm.name]!;
      const failed = results.summary.queries - results.summary.answered;
      if (failed > 0) throw new Error(`goal 5: ${failed} ${arm.name} queries did not answer: ${JSON.stringify(results.summary.errors)}`);
      figures[arm.name] = {
        tokensPerQuery: summary.tokensPerQuery,
        p50Seconds: summary.latencySeconds.p50,
        accuracyPercent: accuracyPercent(results.queries),
        queries,
      };
    }
    const judged = figures["adaptive@arith"]!;
    const noVerifier = figures["adaptive"]!;
    const allAtOnce = figures["adaptive@arith-all"]!;
    const baseline = figures["all-16"]!;
    return {
      values: {
        tokensRatio: judged.tokensPerQuery / baseline.tokensPerQuery,
        latencyP50Ratio: judged.p50Seconds / baseline.p50Seconds,
        adaptiveTokens: judged.tokensPerQuery,
        baselineTokens: baseline.tokensPerQuery,
        adaptiveP50S: judged.p50Seconds,
        baselineP50S: baseline.p50Seconds,
        adaptiveAccuracy: judged.accuracyPercent,
        baselineAccuracy: baseline.accuracyPercent,
        noVerifierTokensRatio: noVerifier.tokensPerQuery / baseline.tokensPerQuery,
        noVerifierLatencyP50Ratio: noVerifier.p50Seconds / baseline.p50Seconds,
        noVerifierAccuracy: noVerifier.accuracyPercent,
        allAtOnceTokensRatio: allAtOnce.tokensPerQuery / baseline.tokensPerQuery,
        allAtOnceLatencyP50Ratio: allAtOnce.p50Seconds / baseline.p50Seconds,
        allAtOnceAccuracy: allAtOnce.accuracyPercent,
      },
      details: { queries, inFlight, slots: workers * slotsPerWorker, arms: figures },
    };
  } finally {
    await cluster.stop();
  }
}

/**
 * Share of the queries whose answer is the simulator's truth for their prompt. With one template per
 * load, a query's index is its prompt's number (`{i}` of the template counts this template's queries).
 */
function accuracyPercent(records: QueryRecord[]): number {
  const right = records.filter((r) => {
    const truth = planProblem(promptTemplate.replaceAll("{i}", String(r.index)), simWrongAnswers).truth;
    return r.result?.answer === String(truth);
  }).length;
  return records.length === 0 ? 0 : (100 * right) / records.length;
}
