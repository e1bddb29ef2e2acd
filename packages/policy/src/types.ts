/**
 * Types shared by the pure reasoning core: answers, policies and the per-query controller.
 * Nothing here does I/O; the scheduler feeds events in and carries decisions out.
 */

/** How answers are read and compared (mirrors the proto `AnswerFormat`). */
export type AnswerFormatName = "text" | "number" | "math" | "date" | "choice" | "game24";

/** Why a query stopped (mirrors the proto `StopReason`). */
export type StopReasonName =
  | "consensus"
  | "all_branches_done"
  | "token_budget"
  | "deadline"
  | "cancelled"
  | "draining";

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

/** A stopping and aggregation rule. Deterministic: the same calls give the same answers. */
export interface Policy {
  readonly name: string;
  /** Parameters in force, defaults filled in, named as in the policy's paper. */
  readonly params: Readonly<Record<string, number>>;
  /** Records the final answer of a finished branch (null: it produced no answer). */
  vote(branch: number, answer: string | null, score?: number): void;
  consensus(): Consensus;
  /**
   * Whether the answer is settled and no further branches are needed.
   * `finished` counts branches that ended (with or without an answer).
   */
  settled(progress: { finished: number; maxBranches: number }): { settled: boolean; detail: string };
}

/** What happened to a query, as seen by the scheduler. */
export type QueryEvent =
  /** A worker picked up the branch and began generating. */
  | { kind: "started"; branch: number }
  /** Generation progressed; `tokens` is the branch's cumulative count. `reject` set when a verifier says it cannot succeed. */
  | { kind: "progress"; branch: number; tokens: number; score?: number; reject?: string }
  /** The branch ended on its own. */
  | { kind: "finished"; branch: number; answer: string | null; tokens: number; score?: number }
  /** The branch failed for good (no further redelivery). */
  | { kind: "failed"; branch: number; tokens: number; reason: string }
  /** The query must end now for an outside reason. */
  | { kind: "interrupt"; reason: "deadline" | "cancelled" | "draining" };

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
  /** Branches kept in flight at once (the wave width), 1..maxBranches. */
  parallelism: number;
  /** Total generated tokens across all branches; reaching it ends the query. */
  tokenBudget: number;
}
