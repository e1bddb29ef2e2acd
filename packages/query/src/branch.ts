import { BranchStatus, type BranchSummary, type ConfidenceStats, type TraceChunk } from "@ttc/proto";

/**
 * What a chunk of this branch turned out to be: from an attempt superseded by a redelivery (`stale`),
 * a repeat or late arrival within its attempt (`duplicate`), a redelivery of a branch whose end is
 * already known (`ended`), or new (`accepted`; `redelivered` when it starts a newer attempt than the
 * one that talked so far, with the tokens that attempt lost).
 */
export type ChunkAcceptance =
  /** A chunk of an attempt a newer one replaced: `extraTokens` it generated past what was known, billed as lost. */
  | { kind: "stale"; extraTokens: number }
  | { kind: "duplicate" }
  | { kind: "ended" }
  | { kind: "accepted"; redelivered: { lostTokens: number } | null };

/** Superseded attempts whose token counts a branch remembers (a worker can only send so many). */
const maxRememberedAttempts = 64;

/** Where the next verify request of a branch starts its trace, and the verifier's state to send with it. */
export interface VerifierContinuation {
  offset: number;
  resume: Buffer;
}

/** No continuation: the next verify request sends the whole trace and no state. */
export const startOver: VerifierContinuation = { offset: 0, resume: Buffer.alloc(0) };

/** What the engine knows about one branch of its query. */
export class BranchState {
  status: BranchStatus = BranchStatus.BRANCH_STATUS_QUEUED;
  /** JetStream delivery count of the attempt whose chunks are accepted (0: none seen yet). */
  attempt = 0;
  /** Tokens of the current attempt. */
  tokens = 0;
  /** Tokens of earlier attempts lost with a dead worker: generated, then wasted. */
  lostTokens = 0;
  engineSeconds = 0;
  lostEngineSeconds = 0;
  promptTokens = 0;
  cachedPromptTokens = 0;
  /** How the engine failed (a gRPC code name from the worker), when the branch failed. */
  failureCode = "";
  text = "";
  score = -1;
  answer = "";
  reason = "";
  workerId = "";
  /** When the engine asked the worker to stop it (ms); cleared by the final chunk. */
  stopSentAt: number | null = null;
  /** True once the worker's final chunk (finished, cancelled or failed) arrived. */
  finalChunkSeen = false;
  /** The FINISHED chunk's finish reason, kept while the final verdict is awaited. */
  finishReason = "";
  /** Scores recorded with a replayed trace (the replay backend sends them when the branch starts). */
  recordedScore: number | undefined = undefined;
  recordedStepScores: number[] = [];
  /** Latest token-confidence statistics from the worker. */
  confidence: ConfidenceStats | undefined = undefined;
  stepScores: number[] = [];
  verified = false;
  /** The last seq seen in the current attempt, to drop duplicates and reordering. */
  lastSeq = -1;
  /** Tokens known of each superseded attempt: what a woken worker generates past them is billed too. */
  private readonly supersededTokens = new Map<number, number>();
  /** Superseded attempts already told to stop (once each). */
  readonly staleStopped = new Set<number>();
  /** The attempt the scheduler re-dispatched because its worker fell silent (once per attempt). */
  redispatchedAttempt = 0;
  /**
   * The verify call awaiting its verdict (one per branch at a time: later progress coalesces), and the
   * length of the trace it carried.
   */
  verifying: { id: number; attempt: number; final: boolean; traceEnd: number } | null = null;
  /** Progress arrived while a partial verdict was awaited: verify the newer trace once it is in. */
  verifyAgain = false;
  /**
   * The continuation of the verifier's last verdict on this attempt: the next partial verify request
   * sends the trace from `offset` on, with `resume` (opaque). Offset 0 and no resume: send it all.
   */
  verifierContinuation: VerifierContinuation = startOver;

  constructor(readonly index: number) {}

  get ended(): boolean {
    return (
      this.status === BranchStatus.BRANCH_STATUS_FINISHED ||
      this.status === BranchStatus.BRANCH_STATUS_PRUNED ||
      this.status === BranchStatus.BRANCH_STATUS_CANCELLED ||
      this.status === BranchStatus.BRANCH_STATUS_FAILED
    );
  }

  get running(): boolean {
    return this.status === BranchStatus.BRANCH_STATUS_RUNNING;
  }

  get totalTokens(): number {
    return this.tokens + this.lostTokens;
  }

  /** Tokens that did not contribute to a finished branch. */
  get wastedTokens(): number {
    return this.status === BranchStatus.BRANCH_STATUS_FINISHED ? this.lostTokens : this.totalTokens;
  }

  /** True while the engine waits for the worker to confirm a stop it asked for. */
  get awaitingStop(): boolean {
    return this.stopSentAt !== null && !this.finalChunkSeen;
  }

  /**
   * Takes a chunk in if it is new: the attempt and sequence numbers decide, so no chunk counts twice
   * and a newer attempt supersedes the older one. Accepted chunks update the counts and the text.
   */
  accept(chunk: TraceChunk): ChunkAcceptance {
    if (chunk.attempt < this.attempt) {
      const known = this.supersededTokens.get(chunk.attempt) ?? 0;
      const extraTokens = Math.max(0, chunk.tokens - known);
      if (extraTokens > 0 && (this.supersededTokens.has(chunk.attempt) || this.supersededTokens.size < maxRememberedAttempts)) {
        this.lostTokens += extraTokens;
        this.supersededTokens.set(chunk.attempt, chunk.tokens);
        return { kind: "stale", extraTokens };
      }
      return { kind: "stale", extraTokens: 0 };
    }
    let redelivered: { lostTokens: number } | null = null;
    if (chunk.attempt > this.attempt) {
      if (this.ended && this.finalChunkSeen) return { kind: "ended" };
      if (this.attempt > 0) redelivered = { lostTokens: this.tokens };
      this.supersede(chunk.attempt);
    }
    if (chunk.seq <= this.lastSeq) return { kind: "duplicate" };
    this.lastSeq = chunk.seq;
    this.tokens = chunk.tokens;
    this.engineSeconds = chunk.engineSeconds;
    if (chunk.promptTokens) this.promptTokens = chunk.promptTokens;
    if (chunk.cachedPromptTokens) this.cachedPromptTokens = chunk.cachedPromptTokens;
    if (chunk.confidence) this.confidence = chunk.confidence;
    if (chunk.recordedScore !== undefined) this.recordedScore = chunk.recordedScore;
    if (chunk.recordedStepScores.length > 0) this.recordedStepScores = chunk.recordedStepScores;
    this.workerId = chunk.workerId;
    this.text += chunk.text;
    return { kind: "accepted", redelivered };
  }

  /** Starts accepting a newer attempt: what the previous one generated is lost. */
  private supersede(attempt: number): void {
    if (this.attempt > 0 && this.supersededTokens.size < maxRememberedAttempts) this.supersededTokens.set(this.attempt, this.tokens);
    this.lostTokens += this.tokens;
    this.lostEngineSeconds += this.engineSeconds;
    this.tokens = 0;
    this.engineSeconds = 0;
    this.text = "";
    this.score = -1;
    this.stepScores = [];
    this.confidence = undefined;
    this.lastSeq = -1;
    this.verifyAgain = false;
    // The verifier's reading of the old attempt's trace says nothing about the new one's.
    this.verifierContinuation = startOver;
    // The new attempt's end is still to come (a verdict the old one awaits is ignored when it arrives).
    this.finalChunkSeen = false;
    this.finishReason = "";
    this.attempt = attempt;
  }

  summary(): BranchSummary {
    return {
      index: this.index,
      status: this.status,
      tokens: this.totalTokens,
      score: this.score,
      answer: this.answer,
      reason: this.reason,
      workerId: this.workerId,
      attempts: this.attempt,
      cachedPromptTokens: this.cachedPromptTokens,
    };
  }
}
