/**
 * The end of a query: the caller's result with its compute bill, and the failure a caller sees
 * instead when the query has nothing to say.
 */
import { BranchStatus, executionModeFromLabel, isEngineFailureCode, stopReasonFromName, type SolveResult, type Timing } from "@ttc/proto";
import { defaultExecutionMode, type Consensus, type StopReasonName } from "@ttc/policy";
import type { BranchState } from "./branch.js";
import type { QueryFailure, QuerySpec } from "./types.js";

export interface ResultInput {
  spec: QuerySpec;
  /** Every launched branch, by index. */
  branches: readonly BranchState[];
  consensus: Consensus;
  stop: { reason: StopReasonName; detail: string };
  verifierCalls: number;
  /** Verifier calls that failed (the trace left unscored), and the first failure's error. */
  verifierFailures: { count: number; firstError: string } | null;
  /** Calls the scheduler judged itself after the verifier service failed to answer. */
  verifierFallbacks?: { count: number; firstError: string } | null;
  timing: Timing;
}

/** Assembles the caller's result: answer, support, per-branch summaries and the compute bill. */
export function buildResult(input: ResultInput): SolveResult {
  const { branches, consensus, spec } = input;
  let generated = 0;
  let wasted = 0;
  let prompt = 0;
  let cached = 0;
  let engine = 0;
  let pruned = 0;
  let reusedBranches = 0;
  let reusedTokens = 0;
  for (const b of branches) {
    if (b.restored) {
      reusedBranches++;
      reusedTokens += b.tokens;
    }
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
    queryId: spec.queryId,
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
      // Launched = put on the work queue; a branch cancelled while still queued costs nothing.
      branchesLaunched: branches.length,
      branchesPruned: pruned,
      cachedPromptTokens: cached,
      reusedBranches,
      reusedTokens,
    },
    timing: input.timing,
    stopReason: stopReasonFromName(input.stop.reason),
    stopDetail: input.stop.detail,
    policy: { name: spec.policy.name, params: { ...spec.policy.params } },
    leaderProbability: consensus.leaderProbability,
    seed: spec.seed,
    verifier: spec.verifier,
    mode: executionModeFromLabel(spec.limits.mode ?? defaultExecutionMode)!,
    gangSize: spec.gangSize,
    ...verifierHealth(input),
    answerTrace: spec.includeAnswerTrace && consensus.leader ? answerTrace(branches, consensus.leader) : "",
  };
}

/**
 * The text of the branch that gave `answer` with the best verifier score, the lowest index among
 * equals: a whole response that ends in the consensus answer, for callers that want prose, not a key.
 */
function answerTrace(branches: readonly BranchState[], answer: string): string {
  let best: BranchState | undefined;
  for (const b of branches) {
    if (b.answer !== answer || b.status !== BranchStatus.BRANCH_STATUS_FINISHED) continue;
    if (!best || b.score > best.score) best = b;
  }
  return best?.text ?? "";
}

/** Whether verifier calls failed: the query still answers, votes then count those branches unscored. */
function verifierHealth({ verifierFailures: f, verifierFallbacks: fb, verifierCalls, spec }: ResultInput): {
  verifierDegraded: boolean;
  verifierNote: string;
} {
  const notes: string[] = [];
  if (fb && fb.count > 0)
    notes.push(
      `${fb.count} of ${verifierCalls} calls to verifier ${spec.verifier} were judged in the scheduler (same code, same verdicts) because the verifier service did not answer: ${fb.firstError}`,
    );
  if (f && f.count > 0)
    notes.push(
      `${f.count} of ${verifierCalls} calls to verifier ${spec.verifier} failed; those traces are unscored (counted unweighted); first error: ${f.firstError}`,
    );
  return { verifierDegraded: notes.length > 0, verifierNote: notes.join("; ") };
}

export interface FailureInput {
  result: SolveResult;
  stop: { reason: StopReasonName };
  branches: readonly BranchState[];
  /** Why tasks could not be put on the queue, when that happened. */
  dispatchError: string | null;
  /** Live workers when the deadline fired, if the adapter said. */
  liveWorkers: number | undefined;
}

/** Turns a result with nothing to say into the failure the caller should see; null when the result stands. */
export function failureFor({ result, stop, branches, dispatchError, liveWorkers }: FailureInput): QueryFailure | null {
  if (stop.reason === "cancelled") return { code: "CANCELLED", message: "the caller cancelled the query" };
  if (result.answer !== "") return null;
  const picked = branches.filter((b) => b.attempt > 0).length;
  if (stop.reason === "deadline") {
    const fleet = liveWorkers === undefined ? "" : `, ${liveWorkers} live workers`;
    return {
      code: "DEADLINE_EXCEEDED",
      message:
        picked === 0
          ? `deadline passed before any worker picked up a branch (${branches.length} queued${fleet}); add workers or allow a longer deadline`
          : `deadline passed before any branch produced an answer (${picked} of ${branches.length} branches started); allow a longer deadline or fewer tokens per branch`,
    };
  }
  if (stop.reason === "tenant_budget")
    return {
      code: "RESOURCE_EXHAUSTED",
      message: "the tenant's token budget ran out before the query had an answer; retry once it refills",
    };
  if (stop.reason === "draining")
    return { code: "UNAVAILABLE", message: "the scheduler shut down before the query had an answer; retry on another replica" };
  if (dispatchError && picked === 0) return { code: "UNAVAILABLE", message: dispatchError };
  // Every branch failed the same way at the engine: the request itself is the problem (a prompt too
  // long, a bad parameter) or the engine is down; say so with the matching code.
  const failed = branches.filter((b) => b.status === BranchStatus.BRANCH_STATUS_FAILED);
  const code = failed[0]?.failureCode;
  if (code && isEngineFailureCode(code) && failed.length === picked && failed.every((b) => b.failureCode === code)) {
    return { code, message: `every branch failed at the engine: ${failed[0]!.reason}` };
  }
  return null; // branches ran but none answered: a valid result with an empty answer and the reasons per branch
}
