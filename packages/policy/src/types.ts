/**
 * Types shared by the pure reasoning core: answers, policies and the per-query controller.
 * Nothing here does I/O; the scheduler feeds events in and carries decisions out.
 */

/** How answers are read and compared (mirrors the proto `AnswerFormat`). */
export type AnswerFormatName = "text" | "number" | "math" | "date" | "choice" | "game24";

/** Why a query stopped (mirrors the proto `StopReason`). */
export type StopReasonName = "consensus" | "all_branches_done" | "token_budget" | "deadline" | "cancelled" | "draining" | "tenant_budget";

/** Outside reasons a query can be made to end before its policy decides. */
export type InterruptReason = "deadline" | "cancelled" | "draining" | "tenant_budget";

/** One answer and the branches that voted for it. */
export interface VoteCount {
  /** Normalised answer (the grouping key). */
  answer: string;
  count: number;
  /** Sum of voter weights; equals `count` for unweighted policies. */
  weight: number;
}

/** The state of the vote at one moment. */
export interface Consensus {
  /** Leading normalised answer, or null when no branch has answered. */
  leader: string | null;
  /** Sorted by weight, then count, descending; ties keep first-seen order. */
  votes: VoteCount[];
  /** Leader's share of the answered weight, 0..1 (0 when nothing answered). */
  support: number;
  /** Posterior probability that the leader is the majority answer of the full population, 0..1. */
  leaderProbability: number;
}

/** Token-confidence statistics of a branch so far (DeepConf), when the engine reports logprobs. */
export interface BranchConfidence {
  tokens: number;
  meanLogprob: number;
  lowestGroupConfidence: number;
  tailGroupConfidence: number;
}

/** What a policy can see of one launched branch. */
export interface BranchView {
  readonly index: number;
  readonly state: "queued" | "running" | "finished" | "pruned" | "failed";
  /** Cumulative generated tokens. */
  readonly tokens: number;
  /** Verifier scores per reasoning step seen so far (empty when the verifier scores no steps). */
  readonly stepScores: readonly number[];
  /** Latest aggregated verifier score, 0..1; undefined when no verifier scored the branch. */
  readonly score: number | undefined;
  readonly confidence: BranchConfidence | undefined;
  /** Normalised answer once finished (null: finished without one). */
  readonly answer: string | null | undefined;
  /** True when an exact checker accepted the finished answer. */
  readonly verified: boolean;
}

/** The query as a policy sees it when deciding. */
export interface PolicyContext {
  /** Every launched branch, by index. */
  readonly branches: readonly BranchView[];
  readonly maxBranches: number;
  readonly launched: number;
  readonly inFlight: number;
  /** Branches that ended (finished, pruned or failed). */
  readonly ended: number;
}

/** A request to stop one branch early. */
export interface Prune {
  branch: number;
  reason: string;
}

/** A stopping and aggregation rule. Deterministic: the same calls give the same answers. */
export interface Policy {
  readonly name: string;
  /** Parameters in force, defaults filled in, named as in the policy's paper. */
  readonly params: Readonly<Record<string, number>>;
  /**
   * Records how a branch ended: its normalised answer when it finished (null: finished without one,
   * or pruned or failed — `view.state` tells which). `view` carries its scores, confidence and whether
   * an exact checker verified it.
   */
  vote(branch: number, answer: string | null, score?: number, view?: BranchView): void;
  consensus(): Consensus;
  /**
   * Whether the answer is settled and no further branches are needed.
   * `finished` counts branches that ended (with or without an answer).
   */
  settled(progress: { finished: number; maxBranches: number }): { settled: boolean; detail: string };
  /**
   * Optional: branches to stop after `changed` made progress (its own state or its rank among the
   * others). Policies that judge partial traces (DeepConf, beam, speculative rejection) implement it.
   */
  review?(changed: BranchView, context: PolicyContext): Prune[];
  /**
   * Optional, for the `waves` mode: how many branches are worth having in flight now (the scheduler
   * launches up to this, never beyond its wave width). Without it, waves keep the full width in flight.
   */
  demand?(context: PolicyContext): number;
}

/** How a query's branches are scheduled. */
export type ExecutionMode =
  /** Every branch at once: the latency baseline. */
  | "all-parallel"
  /** One branch at a time: the token baseline of the sequential stopping rules. */
  | "sequential"
  /** Up to `parallelism` in flight, as many as the policy's `demand` asks for. */
  | "waves";

export const executionModes: readonly ExecutionMode[] = ["all-parallel", "sequential", "waves"];

/** The mode of a query that names none, written only here (the scheduler's `TTC_DEFAULT_MODE` defaults to it too). */
export const defaultExecutionMode: ExecutionMode = "waves";

/** What happened to a query, as seen by the scheduler. */
export type QueryEvent =
  /** A worker picked up the branch and began generating. */
  | { kind: "started"; branch: number }
  /**
   * Generation progressed; `tokens` is the branch's cumulative count. `score`/`stepScores` are the
   * verifier's latest judgement, `reject` set when it says the branch cannot succeed.
   */
  | {
      kind: "progress";
      branch: number;
      tokens: number;
      score?: number;
      stepScores?: readonly number[];
      confidence?: BranchConfidence;
      reject?: string;
    }
  /** The branch ended on its own. `verified` when an exact checker accepted its answer. */
  | {
      kind: "finished";
      branch: number;
      answer: string | null;
      tokens: number;
      score?: number;
      verified?: boolean;
      confidence?: BranchConfidence;
    }
  /** The branch failed for good (no further redelivery). */
  | { kind: "failed"; branch: number; tokens: number; reason: string }
  /** The query must end now for an outside reason. */
  | { kind: "interrupt"; reason: InterruptReason };

/** What the scheduler must do next. */
export type Decision =
  /** Publish these branch indexes to the work queue. */
  | { kind: "launch"; branches: number[] }
  /** Stop one running or queued branch because it is weak. */
  | { kind: "prune"; branch: number; reason: string }
  /** The query is decided: cancel every branch still queued or running, then answer. */
  | { kind: "finish"; reason: StopReasonName; detail: string };

/** Limits of one query, resolved from the request and the scheduler's defaults. */
export interface QueryLimits {
  /** Most branches the query may launch. */
  maxBranches: number;
  /** Branches kept in flight at once (the wave width), 1..maxBranches; ignored by all-parallel and sequential. */
  parallelism: number;
  /** How branches are scheduled. @default {@link defaultExecutionMode} */
  mode?: ExecutionMode;
  /** Total generated tokens across all branches; reaching it ends the query. */
  tokenBudget: number;
}
