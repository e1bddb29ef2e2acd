/**
 * The evaluator: every problem × repeat (a seeded replay order) under every policy × mode, in
 * virtual time, with accuracy intervals, tokens, latency and verifier calls per configuration.
 */
import type { CorpusRecord } from "@ttc/corpus";
import type { ExecutionMode } from "@ttc/policy";
import { FMIX32_MULTIPLIER_1, FMIX32_MULTIPLIER_2, GOLDEN_PRIME_32, mean, quantile, xorMultiply, xorShift } from "@ttc/stats";
import { prepareProblem, type PreparedProblem } from "./prepare.js";
import { simulateQuery, type QueryOutcome } from "./simulate.js";
import { instantiate, type PolicySpec } from "./spec.js";
import { bootstrapInterval } from "./stats.js";

export interface EvalOptions {
  specs: PolicySpec[];
  modes: ExecutionMode[];
  repeats: number;
  seed: number;
  /** Wave width in waves mode. */
  parallelism: number;
  tokensPerSecond: number;
  /** Which runner produced the outcomes (reported). @default "virtual" */
  runner?: "virtual" | "cluster";
  /** Called after each configuration × problem with progress counts. */
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface EvalRow {
  policy: string;
  name: string;
  params: Record<string, number>;
  verifier: string;
  mode: ExecutionMode;
  accuracy: number;
  /** Bootstrap 95% interval over problems. */
  accuracyLow: number;
  accuracyHigh: number;
  tokensPerQuery: number;
  /** 1 − tokens / baseline tokens (majority × all-parallel). */
  tokensSaved: number;
  /** Virtual seconds. */
  latencyP50: number;
  latencyP95: number;
  verifierCallsPerQuery: number;
  branchesPerQuery: number;
  prunedPerQuery: number;
}

export interface EvalReport {
  corpus: { records: number; branchesPerRecord: number; tokenCounting: string; source: string };
  settings: { repeats: number; seed: number; parallelism: number; tokensPerSecond: number; runner: "virtual" | "cluster" };
  baseline: { policy: string; mode: ExecutionMode };
  policies: EvalRow[];
}

/** The multiplier of {@link querySeed}'s final mix. */
const QUERY_SEED_MULTIPLIER = 0x27d4eb2f;

/** The query seed of problem `p`, repeat `r`: shared by the in-process and cluster runs. */
export function querySeed(seed: number, p: number, r: number): number {
  // The weighted sum is taken in doubles (it rounds once past 2^53) before its low 32 bits are kept:
  // that is how every recorded evaluation was seeded, so it stays.
  const h = (seed * GOLDEN_PRIME_32 + p * FMIX32_MULTIPLIER_1 + r * FMIX32_MULTIPLIER_2) >>> 0;
  // Never 0: a request seed of 0 asks the scheduler for a random one.
  return xorShift(xorMultiply(h, h >>> 16, QUERY_SEED_MULTIPLIER), 15) || 1;
}

/** Produces one query's outcome: in process (virtual time) or through a running cluster. */
export type QueryRunner = (problem: PreparedProblem, spec: PolicySpec, mode: ExecutionMode, seed: number) => Promise<QueryOutcome>;

/** The in-process runner: the same controller and policies, replayed in virtual time. */
export function virtualRunner(o: Pick<EvalOptions, "parallelism" | "tokensPerSecond">): QueryRunner {
  return async (problem, spec, mode, seed) =>
    simulateQuery(problem, {
      policy: instantiate(spec),
      verifier: spec.verifier,
      mode,
      parallelism: o.parallelism,
      maxBranches: problem.branches.length,
      tokensPerSecond: o.tokensPerSecond,
      seed,
    });
}

/** Runs one configuration over every problem and repeat, `concurrency` queries at a time. */
export async function runConfiguration(
  problems: readonly PreparedProblem[],
  spec: PolicySpec,
  mode: ExecutionMode,
  o: Pick<EvalOptions, "repeats" | "seed">,
  run: QueryRunner,
  concurrency = 1,
  onProblem?: () => void,
): Promise<QueryOutcome[][]> {
  const outcomes: QueryOutcome[][] = problems.map(() => []);
  const jobs: Array<[number, number]> = [];
  problems.forEach((_, p) => {
    for (let r = 0; r < o.repeats; r++) jobs.push([p, r]);
  });
  const remaining = problems.map(() => o.repeats);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [p, r] = jobs[next++]!;
      outcomes[p]![r] = await run(problems[p]!, spec, mode, querySeed(o.seed, p, r));
      if (--remaining[p]! === 0) onProblem?.();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return outcomes;
}

function summarise(spec: PolicySpec, mode: ExecutionMode, outcomes: QueryOutcome[][], baselineTokens: number, seed: number): EvalRow {
  const flat = outcomes.flat();
  const perProblemAccuracy = outcomes.map((qs) => mean(qs.map((q) => (q.correct ? 1 : 0))));
  const [low, high] = bootstrapInterval(perProblemAccuracy, { seed });
  const tokens = mean(flat.map((q) => q.tokens));
  const latencies = flat.map((q) => q.latency);
  return {
    policy: spec.label,
    name: spec.name,
    params: spec.params,
    verifier: spec.verifier,
    mode,
    accuracy: mean(perProblemAccuracy),
    accuracyLow: low,
    accuracyHigh: high,
    tokensPerQuery: tokens,
    tokensSaved: baselineTokens > 0 ? 1 - tokens / baselineTokens : 0,
    latencyP50: quantile(latencies, 0.5),
    latencyP95: quantile(latencies, 0.95),
    verifierCallsPerQuery: mean(flat.map((q) => q.verifierCalls)),
    branchesPerQuery: mean(flat.map((q) => q.branchesLaunched)),
    prunedPerQuery: mean(flat.map((q) => q.branchesPruned)),
  };
}

/**
 * Evaluates every spec × mode on the corpus with `run` (default: in process, virtual time). The
 * majority × all-parallel baseline is always included.
 */
export async function evaluate(
  records: readonly CorpusRecord[],
  o: EvalOptions,
  run: QueryRunner = virtualRunner(o),
  concurrency = 1,
): Promise<EvalReport> {
  const problems = records.map(prepareProblem);
  const baselineSpec: PolicySpec = { label: "majority", name: "majority", params: {}, verifier: "none" };
  const configs: Array<[PolicySpec, ExecutionMode]> = [[baselineSpec, "all-parallel"]];
  for (const spec of o.specs) {
    for (const mode of o.modes) {
      const isBaseline = spec.name === "majority" && Object.keys(spec.params).length === 0 && spec.verifier === "none";
      if (isBaseline && mode === "all-parallel") continue;
      configs.push([spec, mode]);
    }
  }
  const total = configs.length * problems.length;
  let done = 0;
  const rows: EvalRow[] = [];
  let baselineTokens = 0;
  for (const [spec, mode] of configs) {
    const label = `${spec.label} × ${mode}`;
    const outcomes = await runConfiguration(problems, spec, mode, o, run, concurrency, () => o.onProgress?.(++done, total, label));
    const row = summarise(spec, mode, outcomes, baselineTokens, o.seed);
    if (rows.length === 0) {
      baselineTokens = row.tokensPerQuery;
      row.tokensSaved = 0;
    }
    rows.push(row);
  }
  const first = records[0];
  return {
    corpus: {
      records: records.length,
      branchesPerRecord: mean(records.map((r) => r.branches.length)),
      tokenCounting: first?.tokenCounting ?? "unknown",
      source: first?.source ?? "unknown",
    },
    settings: {
      repeats: o.repeats,
      seed: o.seed,
      parallelism: o.parallelism,
      tokensPerSecond: o.tokensPerSecond,
      runner: o.runner ?? "virtual",
    },
    baseline: { policy: "majority", mode: "all-parallel" },
    policies: rows,
  };
}
