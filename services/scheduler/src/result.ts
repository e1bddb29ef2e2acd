import { executionModeFromLabel, BranchStatus, type SolveResult, type StopReason, type Timing } from "@ttc/proto";
import type { Consensus } from "@ttc/policy";
import type { BranchState } from "./branch-state.js";
import { outcomeLabel, type ServiceError } from "./errors.js";
import type { ResolvedQuery } from "./resolve-request.js";

export interface ResultInput {
  queryId: string;
  query: ResolvedQuery;
  branches: BranchState[];
  consensus: Consensus;
  stopReason: StopReason;
  stopDetail: string;
  verifierCalls: number;
  /** Verifier calls that failed (the trace left unscored), and the first failure's error. */
  verifierFailures?: { count: number; firstError: string };
  /** Sibling branches per task (1 = spread). */
  gangSize: number;
  timing: Timing;
}

/** Assembles the caller's result: answer, support, per-branch summaries and the compute bill. */
export function buildResult(input: ResultInput): SolveResult {
  const { branches, consensus, query } = input;
  let generated = 0;
  let wasted = 0;
  let prompt = 0;
  let cached = 0;
  let engine = 0;
  let pruned = 0;
  for (const b of branches) {
    generated += b.totalTokens;
    wasted += b.wastedTokens;
    engine += b.engineSeconds + b.lostEngineSeconds;
    if (b.attempt > 0) {
      prompt += b.promptTokens;
      cached += b.cachedPromptTokens;
    }
    if (b.status === BranchStatus.BRANCH_STATUS_PRUNED) pruned++;
  }
  return {
    queryId: input.queryId,
    answer: consensus.leader ?? "",
    support: consensus.support,
    votes: consensus.votes,
    branches: branches.map((b) => b.summary()),
    compute: {
      promptTokens: prompt,
      generatedTokens: generated,
      wastedTokens: wasted,
      verifierCalls: input.verifierCalls,
      engineSeconds: engine,
      // Launched = published to the work queue; a branch cancelled while still queued costs nothing.
      branchesLaunched: branches.length,
      branchesPruned: pruned,
      cachedPromptTokens: cached,
    },
    timing: input.timing,
    stopReason: input.stopReason,
    stopDetail: input.stopDetail,
    policy: { name: query.policy.name, params: { ...query.policy.params } },
    leaderProbability: consensus.leaderProbability,
    seed: query.seed,
    verifier: query.verifier,
    mode: executionModeFromLabel(query.limits.mode ?? "waves")!,
    gangSize: input.gangSize,
    ...verifierHealth(input),
  };
}

/** Whether verifier calls failed: the query still answers, votes then count those branches unscored. */
function verifierHealth({ verifierFailures: f, verifierCalls, query }: ResultInput): { verifierDegraded: boolean; verifierNote: string } {
  if (!f || f.count === 0) return { verifierDegraded: false, verifierNote: "" };
  return {
    verifierDegraded: true,
    verifierNote: `${f.count} of ${verifierCalls} calls to verifier ${query.verifier} failed; those traces are unscored (counted unweighted); first error: ${f.firstError}`,
  };
}

/** Metric label of how a query ended (a fixed set). */
export function outcomeOf(result: SolveResult, error: ServiceError | null): string {
  if (error) return outcomeLabel(error.code);
  return result.answer === "" ? "no_answer" : "answered";
}
