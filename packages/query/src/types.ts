/**
 * The vocabulary of one query's life: what the engine is told (inputs), what it asks its adapter to
 * do (effects), and how a query it cannot answer fails. No I/O: an adapter performs effects with real
 * NATS (the scheduler) or in virtual time (the evaluator).
 */
import type { AnswerFormat, EngineFailureCode, SolveEvent, SolveResult, TraceChunk, VerifyRequest, VerifyResponse } from "@ttc/proto";
import type { AnswerFormatName, InterruptReason, Policy, QueryLimits } from "@ttc/policy";

/** Everything about a query the engine needs, resolved and validated by the caller. */
export interface QuerySpec {
  queryId: string;
  prompt: string;
  answerFormat: AnswerFormatName;
  /** The same format as the wire enum, for verify requests. */
  answerFormatEnum: AnswerFormat;
  policy: Policy;
  limits: QueryLimits;
  /** Each branch's `max_tokens`: a chunk claiming more ends its branch as failed. */
  maxTokensPerBranch: number;
  /** The verifier's name; "none" asks no verifier. */
  verifier: string;
  /** Whether the verifier judges partial traces (then every progress chunk is verified before the policy sees it). */
  partialVerification: boolean;
  seed: number;
  /** Sibling branches dispatched as one task (1 = every branch on its own). */
  gangSize: number;
  /** After stopping branches, how long to wait for their final token counts before answering (ms). */
  cancelSettleMs: number;
  /** When the query must have answered (ms, on the clock of the inputs' `at`). */
  deadlineAt: number;
  /**
   * Reads a finished trace's answer as a grouping key. Default: the format's `answerKey`, grouped with
   * equivalent answers of this query, the first to finish naming the group.
   */
  readAnswer?: (text: string) => string | null;
  /**
   * Branches that finished in an earlier run of the same request (its scheduler died or its caller
   * left), by index: each a FINISHED chunk carrying the whole trace. When the policy launches one of
   * these indexes it is taken from here instead of dispatched (verified again, then it votes), so a
   * resumed query spends tokens only on the branches that had not finished.
   */
  restored?: ReadonlyMap<number, TraceChunk>;
  /** Put the text of the best branch that gave the answer in the result's `answerTrace`. */
  includeAnswerTrace?: boolean;
}

/** Something that happened, at `at` ms (any clock, as long as every input and `deadlineAt` share it). */
export type QueryInput =
  /** A trace chunk from a worker, decoded but not trusted. */
  | { kind: "chunk"; at: number; chunk: TraceChunk }
  /** The answer to the verify effect with this id. */
  | { kind: "verdict"; at: number; id: number; response: VerifyResponse }
  /** A dispatch effect could not be carried out (the task never reached the queue). */
  | { kind: "dispatch-failed"; at: number; branches: number[]; error: string }
  /** A timer the engine armed went off. `liveWorkers`: the fleet as the adapter sees it, for the deadline's message. */
  | { kind: "timer"; at: number; timer: QueryTimer; liveWorkers?: number }
  /** The query must end now for an outside reason; it answers with what it has. */
  | { kind: "interrupt"; at: number; reason: Exclude<InterruptReason, "deadline"> }
  /** A worker stopped sending heartbeats: the branches it was running are dispatched again. */
  | { kind: "worker-lost"; at: number; workerId: string };

export type QueryTimer = "deadline" | "settle";

/** What the adapter must do. Effects of one input are performed in order. */
export type QueryEffect =
  /** Put one task on the work queue carrying these branches (more than one: a gang of siblings). */
  | { kind: "dispatch"; branches: number[] }
  /**
   * Stop these branches (empty: every branch of the query, including tasks still queued); with
   * `supersededBelow`, only their attempts numbered below it.
   */
  | { kind: "cancel"; branches: number[]; reason: string; prune: boolean; supersededBelow?: number }
  /** Put one task on the work queue for this branch again, its attempts numbered from `attemptOffset` + 1 (its worker was lost). */
  | { kind: "redispatch"; branch: number; attemptOffset: number }
  /** Ask the verifier; answer with a `verdict` input carrying this id. */
  | { kind: "verify"; id: number; request: VerifyRequest }
  /** Tell the caller (SolveStream). */
  | { kind: "emit"; event: SolveEvent }
  /** Send a `timer` input at `at`. A timer that fires when it no longer matters is ignored. */
  | { kind: "arm"; timer: QueryTimer; at: number }
  /** A message was not believed and dropped (counted by the adapter as malformed); a chunk that cannot be true also fails its branch. */
  | { kind: "dropped"; reason: string }
  /** A worker confirmed a stop the engine asked for, after this many seconds. */
  | { kind: "stop-acked"; seconds: number }
  /** A branch finished and voted: its whole trace as one FINISHED chunk, for the durable record a resumed run reuses. */
  | { kind: "branch-finished"; chunk: TraceChunk }
  /** Something an operator may want in the log. */
  | { kind: "note"; level: "debug" | "info" | "warn"; message: string; fields: Record<string, unknown> }
  /** The query is over: the result, and the failure the caller sees instead when it has nothing to say. Always last. */
  | { kind: "done"; result: SolveResult; failure: QueryFailure | null };

/** Why a query gives its caller an error instead of a result; `code` is a gRPC status code name. */
export interface QueryFailure {
  code: "CANCELLED" | "DEADLINE_EXCEEDED" | EngineFailureCode;
  message: string;
}
