import { BranchStatus, type BranchSummary, type ConfidenceStats } from "@ttc/proto";

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
  /** The verify call awaiting its verdict (one per branch at a time: later progress coalesces). */
  verifying: { id: number; attempt: number; final: boolean } | null = null;
  /** Progress arrived while a partial verdict was awaited: verify the newer trace once it is in. */
  verifyAgain = false;

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

  /** Starts accepting a newer attempt: what the previous one generated is lost. */
  supersede(attempt: number): void {
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
