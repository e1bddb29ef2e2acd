import { answerFormatLabel, ChunkKind, type BranchTask, type TraceChunk } from "@ttc/proto";
import { ConfidenceTracker, DEFAULT_GROUP_SIZE } from "@ttc/policy";
import { EngineError, type Backend } from "./backend.js";

/** How a branch run ended, for the caller to ack the task and record metrics. */
export type BranchOutcome =
  | { kind: "finished"; tokens: number }
  | { kind: "cancelled"; tokens: number; reason: string; tokensAfterCancel: number; cancelToStopSeconds: number }
  | { kind: "handed_back"; tokens: number }
  | { kind: "failed"; tokens: number; error: string };

/** Why a running branch is being stopped. `handBack` means the task returns to the queue untouched. */
export interface StopRequest {
  reason: string;
  handBack: boolean;
}

export interface BranchRunOptions {
  task: BranchTask;
  attempt: number;
  workerId: string;
  backend: Backend;
  /** Sends one chunk to the scheduler. */
  publish: (chunk: TraceChunk) => void;
  /** Called with every batch of newly generated tokens (metrics). */
  onTokens: (count: number) => void;
  /** Sliding window and tail of the DeepConf group confidence, in tokens. @default {@link DEFAULT_GROUP_SIZE} */
  confidenceWindow?: number;
  /** W3C trace context of this attempt's span, for the engine's HTTP requests; empty when tracing is off. */
  traceHeaders?: Record<string, string>;
}

/**
 * Runs one branch: drives the backend, streams trace chunks at step boundaries or every
 * `chunk_tokens` tokens, and stops the moment `stop()` is called.
 */
export class BranchRun {
  private readonly abort = new AbortController();
  private stopRequest: StopRequest | null = null;
  private stopAt = 0;
  private tokensAtStop = 0;
  private tokens = 0;
  private seq = 0;
  private promptTokens = 0;
  private cachedPromptTokens = 0;

  constructor(private readonly options: BranchRunOptions) {}

  /** Stops generation now; the run resolves with `cancelled` (or `handed_back`). Idempotent. */
  stop(request: StopRequest): void {
    if (this.stopRequest) return;
    this.stopRequest = request;
    this.stopAt = performance.now();
    this.tokensAtStop = this.tokens;
    this.abort.abort(new Error(request.reason));
  }

  get stopped(): boolean {
    return this.stopRequest !== null;
  }

  async run(): Promise<BranchOutcome> {
    const { task, backend } = this.options;
    const started = performance.now();
    const engineSeconds = () => (performance.now() - started) / 1000;
    this.send({ kind: ChunkKind.CHUNK_KIND_STARTED });
    let pending = "";
    let pendingTokens = 0;
    // DeepConf statistics from the backend's per-token logprobs (top-k when it has them; the sampled
    // token's alone otherwise, which makes the token confidence −log p(sampled)).
    const window = this.options.confidenceWindow ?? DEFAULT_GROUP_SIZE;
    const confidence = new ConfidenceTracker({ groupSize: window, tailSize: window });
    // Recorded scores ride on the next chunk sent, once.
    let recorded: Partial<TraceChunk> | null = null;
    const confidenceSoFar = () => {
      const snapshot = confidence.snapshot();
      return snapshot.tokens > 0 ? snapshot : undefined;
    };
    const flush = (kind: ChunkKind, extra: Partial<TraceChunk> = {}) => {
      this.send({
        kind,
        text: pending,
        tokens: this.tokens,
        engineSeconds: engineSeconds(),
        confidence: confidenceSoFar(),
        ...recorded,
        ...extra,
      });
      recorded = null;
      pending = "";
      pendingTokens = 0;
    };
    try {
      for await (const event of backend.generate({
        prompt: task.prompt,
        systemPrompt: task.systemPrompt,
        model: task.model,
        maxTokens: task.maxTokens,
        seed: task.seed,
        answerFormat: answerFormatLabel(task.answerFormat) ?? "text",
        querySeed: task.querySeed,
        branchIndex: task.branchIndex,
        queryId: task.queryId,
        deadlineUnixMs: task.deadlineUnixMs,
        signal: this.abort.signal,
        ...(this.options.traceHeaders ? { traceHeaders: this.options.traceHeaders } : {}),
      })) {
        if (this.stopRequest) {
          // Tokens the backend produced after the stop still cost engine time: count them as such.
          if (event.type === "tokens") {
            this.tokens += event.tokens;
            this.options.onTokens(event.tokens);
          }
          break;
        }
        if (event.type === "prompt") {
          this.promptTokens = event.promptTokens;
          this.cachedPromptTokens = event.cachedPromptTokens ?? this.cachedPromptTokens;
          continue;
        }
        if (event.type === "recorded") {
          recorded = { ...(event.score !== undefined ? { recordedScore: event.score } : {}), recordedStepScores: event.stepScores };
          continue;
        }
        if (event.type === "end") {
          this.cachedPromptTokens = event.cachedPromptTokens ?? this.cachedPromptTokens;
          flush(ChunkKind.CHUNK_KIND_FINISHED, { finishReason: event.finishReason, promptTokens: event.promptTokens || this.promptTokens });
          return { kind: "finished", tokens: this.tokens };
        }
        this.tokens += event.tokens;
        pending += event.text;
        pendingTokens += event.tokens;
        if (event.topLogprobs) {
          // Real top-k from the engine: C_i = −mean(top-k logprobs), the DeepConf token confidence.
          event.topLogprobs.forEach((top, i) => {
            const sampled = event.logprobs?.[i];
            if (top.length > 0) confidence.push(top, sampled);
            else if (sampled !== undefined) confidence.push([sampled], sampled);
          });
        } else {
          for (const lp of event.logprobs ?? []) confidence.push([lp], lp);
        }
        this.options.onTokens(event.tokens);
        if (event.stepEnd || pendingTokens >= Math.max(1, task.chunkTokens)) flush(ChunkKind.CHUNK_KIND_PROGRESS);
      }
    } catch (err) {
      if (!this.stopRequest) {
        const error = err instanceof Error ? err.message : String(err);
        // An engine's failure carries its gRPC code name; anything else is a bug, reported without one.
        flush(ChunkKind.CHUNK_KIND_FAILED, { finishReason: error, failureCode: err instanceof EngineError ? err.code : "" });
        return { kind: "failed", tokens: this.tokens, error };
      }
    }
    const request = this.stopRequest;
    if (!request) {
      // The backend ended without an `end` event and without being stopped: a backend bug, reported as a failure.
      const error = `backend ${backend.name} ended the stream without finishing`;
      flush(ChunkKind.CHUNK_KIND_FAILED, { finishReason: error });
      return { kind: "failed", tokens: this.tokens, error };
    }
    if (request.handBack) return { kind: "handed_back", tokens: this.tokens };
    const cancelToStopSeconds = (performance.now() - this.stopAt) / 1000;
    const tokensAfterCancel = this.tokens - this.tokensAtStop;
    flush(ChunkKind.CHUNK_KIND_CANCELLED, { finishReason: request.reason, tokensAfterCancel, cancelToStopSeconds });
    return { kind: "cancelled", tokens: this.tokens, reason: request.reason, tokensAfterCancel, cancelToStopSeconds };
  }

  private send(partial: Partial<TraceChunk> & { kind: ChunkKind }): void {
    const { task, attempt, workerId, backend } = this.options;
    this.options.publish({
      queryId: task.queryId,
      branchIndex: task.branchIndex,
      workerId,
      attempt,
      seq: this.seq++,
      text: "",
      tokens: this.tokens,
      promptTokens: this.promptTokens,
      cachedPromptTokens: this.cachedPromptTokens,
      failureCode: "",
      engineSeconds: 0,
      confidence: undefined,
      finishReason: "",
      tokensAfterCancel: 0,
      cancelToStopSeconds: 0,
      synthetic: backend.synthetic,
      recordedScore: undefined,
      recordedStepScores: [],
      // The task's key, so the scheduler can tell this chunk from a forged one.
      chunkKey: task.chunkKey,
      ...partial,
    });
  }
}
