/**
 * One query's life as a pure state machine: trace chunks, verdicts, timers and interrupts in; tasks,
 * cancels, verify calls, stream events and the result out. It owns per-branch state, attempt and
 * sequence de-duplication, verifier coalescing, how a verdict reaches the policy, stop and settle
 * bookkeeping, the compute bill and the outcome. The scheduler drives it with NATS and the evaluator
 * in virtual time, so what the evaluator measures is what the scheduler does.
 */
import {
  BranchStatus,
  ChunkKind,
  type BranchSummary,
  type SolveEvent,
  type TraceChunk,
  type VerifyRequest,
  type VerifyResponse,
} from "@ttc/proto";
import {
  AnswerGroups,
  answerKey,
  createQueryController,
  type BranchConfidence,
  type Consensus,
  type Decision,
  type QueryController,
  type QueryEvent,
  type StopReasonName,
} from "@ttc/policy";
import { BranchState, startOver, type VerifierContinuation } from "./branch.js";
import { chunkOutOfBounds } from "./chunk-bounds.js";
import { buildResult, failureFor } from "./result.js";
import type { QueryEffect, QueryInput, QuerySpec } from "./types.js";

/** Chunks after which an attempt generates no more. */
const finalKinds: ReadonlySet<ChunkKind> = new Set([
  ChunkKind.CHUNK_KIND_FINISHED,
  ChunkKind.CHUNK_KIND_CANCELLED,
  ChunkKind.CHUNK_KIND_FAILED,
]);

const knownChunkKinds: ReadonlySet<ChunkKind> = new Set([
  ChunkKind.CHUNK_KIND_STARTED,
  ChunkKind.CHUNK_KIND_PROGRESS,
  ChunkKind.CHUNK_KIND_FINISHED,
  ChunkKind.CHUNK_KIND_CANCELLED,
  ChunkKind.CHUNK_KIND_FAILED,
]);

/**
 * How far a re-dispatched attempt's numbers start past the lost one: beyond JetStream's redeliveries
 * of the original task (max-deliver is at most 100), so the two never share a number.
 */
export const redispatchAttemptStep = 100;

/** Drives one query. Deterministic: the same inputs give the same effects. */
/** A read-only view of one branch (see `QueryEngine.branch`). */
export interface BranchView {
  summary: BranchSummary;
  /** The trace so far, of the attempt whose chunks were accepted. */
  text: string;
  stepScores: readonly number[];
  finishReason: string;
  engineSeconds: number;
}

export class QueryEngine {
  readonly #spec: QuerySpec;
  readonly #controller: QueryController;
  readonly #branches: BranchState[] = [];
  readonly #readAnswer: (text: string) => string | null;
  readonly #decisions: Decision[] = [];
  /** Outstanding verify calls: id → branch index. */
  readonly #calls = new Map<number, number>();
  #effects: QueryEffect[] = [];
  #now = 0;
  #startedAt: number | null = null;
  #firstPickupAt: number | null = null;
  #firstTokensAt: number | null = null;
  #decidedAt: number | null = null;
  #stop: { reason: StopReasonName; detail: string } | null = null;
  #dispatchError: string | null = null;
  #liveWorkers: number | undefined = undefined;
  #verifierCalls = 0;
  #generatedTokens = 0;
  #verifierFailures: { count: number; firstError: string } | null = null;
  /** Verdicts the scheduler made itself because the verifier service did not answer. */
  #verifierFallbacks: { count: number; firstError: string } | null = null;
  #nextCallId = 1;
  /** Finished branches of an earlier run that this one may reuse (checked once, in the constructor). */
  readonly #restorable: ReadonlyMap<number, TraceChunk>;
  /** Launched indexes to take from `#restorable`, after the decisions that launched them are applied. */
  readonly #restoreQueue: number[] = [];
  /** Set when the query can answer; the `done` effect goes out at the end of the current input. */
  #answerNow = false;
  #done = false;

  /** @throws RangeError when the limits are invalid (see `createQueryController`). */
  constructor(spec: QuerySpec) {
    this.#spec = spec;
    this.#controller = createQueryController(spec.policy, spec.limits);
    this.#restorable = restorable(spec);
    if (spec.readAnswer) this.#readAnswer = spec.readAnswer;
    else {
      const groups = new AnswerGroups(spec.answerFormat);
      this.#readAnswer = (text) => groups.canonical(answerKey(text, spec.answerFormat));
    }
  }

  /** Arms the deadline and launches the first branches. Later calls return []. */
  start(at: number): QueryEffect[] {
    if (this.#startedAt !== null) return [];
    this.#startedAt = at;
    return this.#step(at, () => {
      this.#effects.push({ kind: "arm", timer: "deadline", at: this.#spec.deadlineAt });
      this.#apply(this.#controller.start());
    });
  }

  /** Applies one input. Inputs before `start` or after `done` return []. */
  on(input: QueryInput): QueryEffect[] {
    if (this.#startedAt === null || this.#done) return [];
    return this.#step(input.at, () => {
      switch (input.kind) {
        case "chunk":
          return this.#onChunk(input.chunk);
        case "verdict":
          return this.#onVerdict(input.id, input.response);
        case "dispatch-failed":
          return this.#onDispatchFailed(input.branches, input.error);
        case "timer":
          if (input.timer === "deadline") {
            this.#liveWorkers = input.liveWorkers;
            return this.#feed({ kind: "interrupt", reason: "deadline" });
          }
          if (this.#stop) this.#answerNow = true; // settle wait over: answer without the missing final counts
          return;
        case "interrupt":
          return this.#feed({ kind: "interrupt", reason: input.reason });
        case "worker-lost":
          return this.#onWorkerLost(input.workerId);
      }
    });
  }

  /** True once the query answered (the `done` effect went out). */
  get done(): boolean {
    return this.#done;
  }

  /** True once the policy decided (or the query was interrupted); stopped branches may still be settling. */
  get decided(): boolean {
    return this.#stop !== null;
  }

  /**
   * Tokens this run's branches generated so far, every attempt counted: the bill, less the tokens of
   * branches restored from an earlier run (what the tenant is charged for now).
   */
  get generatedTokens(): number {
    return this.#generatedTokens;
  }

  /** The controller's decisions so far, in order: launches, prunes and the finish. */
  get decisions(): readonly Decision[] {
    return this.#decisions;
  }

  consensus(): Consensus {
    return this.#controller.consensus();
  }

  /** What is known of a launched branch so far, for the query's record; undefined for an index never launched. */
  branch(index: number): BranchView | undefined {
    const b = this.#branches[index];
    if (!b) return undefined;
    return {
      summary: b.summary(),
      text: b.text,
      stepScores: b.stepScores,
      finishReason: b.finishReason,
      engineSeconds: b.engineSeconds + b.lostEngineSeconds,
    };
  }

  #step(at: number, body: () => void): QueryEffect[] {
    this.#now = at;
    body();
    // Restored branches finish as soon as they are launched; only after the launch's decisions are
    // applied, so a decision a restored vote triggers never interleaves with them.
    for (let index = this.#restoreQueue.shift(); index !== undefined && !this.#done; index = this.#restoreQueue.shift())
      this.#restore(index);
    if (this.#answerNow && !this.#done) {
      this.#done = true;
      this.#effects.push(this.#outcome());
    }
    const out = this.#effects;
    this.#effects = [];
    return out;
  }

  #feed(event: QueryEvent): void {
    this.#apply(this.#controller.on(event));
  }

  #apply(decisions: Decision[]): void {
    for (const d of decisions) {
      this.#decisions.push(d);
      if (d.kind === "launch") this.#launch(d.branches);
      else if (d.kind === "prune") this.#prune(d.branch, d.reason);
      else this.#finish(d.reason, d.detail);
    }
  }

  #launch(indexes: number[]): void {
    const dispatched: number[] = [];
    for (const index of indexes) {
      this.#branches[index] = new BranchState(index);
      if (this.#restorable.has(index)) this.#restoreQueue.push(index);
      else dispatched.push(index);
    }
    // Siblings launched together go out as gangs: one task, one worker, one shared prefill.
    const size = Math.max(1, this.#spec.gangSize);
    for (let i = 0; i < dispatched.length; i += size) this.#effects.push({ kind: "dispatch", branches: dispatched.slice(i, i + size) });
  }

  /**
   * A launched branch that finished in an earlier run of the request: it starts and finishes at once
   * with that run's trace and counts, and then goes the way of any finished branch (the final verdict,
   * then its vote). Its tokens were generated before: they are in the bill, not in `generatedTokens`.
   */
  #restore(index: number): void {
    const b = this.#branches[index]!;
    if (b.ended) return; // the query stopped before it came to this one
    b.accept(this.#restorable.get(index)!);
    b.restored = true;
    b.status = BranchStatus.BRANCH_STATUS_RUNNING;
    this.#emitEvent({ $case: "branchStarted", value: { index, workerId: b.workerId, attempt: b.attempt } });
    this.#feed({ kind: "started", branch: index });
    if (b.ended || this.#stop) return;
    this.#onFinishedChunk(b, this.#restorable.get(index)!);
  }

  #onDispatchFailed(indexes: number[], error: string): void {
    this.#dispatchError = error;
    for (const index of indexes) {
      const b = this.#branches[index];
      if (!b || b.ended) continue;
      b.status = BranchStatus.BRANCH_STATUS_FAILED;
      b.reason = error;
      this.#emitEvent({ $case: "branchFailed", value: { index, reason: error, tokens: 0 } });
      this.#feed({ kind: "failed", branch: index, tokens: 0, reason: error });
    }
  }

  #onChunk(chunk: TraceChunk): void {
    const b = chunk.queryId === this.#spec.queryId ? this.#branches[chunk.branchIndex] : undefined;
    if (!b)
      return this.#drop(chunk.queryId === this.#spec.queryId ? `no branch ${chunk.branchIndex} in this query` : "chunk of another query");
    const problem = knownChunkKinds.has(chunk.kind)
      ? chunkOutOfBounds(chunk, b.text.length, {
          maxTokens: this.#spec.maxTokensPerBranch,
          elapsedSeconds: (this.#now - (this.#startedAt ?? this.#now)) / 1000,
        })
      : `a chunk of unknown kind ${chunk.kind}`;
    if (problem) return this.#refuseChunk(b, chunk, problem);
    const before = b.totalTokens;
    const accepted = b.accept(chunk);
    // Only accepting a chunk changes a branch's tokens: the running total follows it here, once per chunk.
    this.#generatedTokens += b.totalTokens - before;
    if (accepted.kind === "stale") {
      // A worker still running an attempt a newer one replaced (it froze, its branch was re-dispatched,
      // it woke up): stop it, and bill what it generated meanwhile.
      if (!finalKinds.has(chunk.kind) && !b.staleStopped.has(chunk.attempt)) {
        b.staleStopped.add(chunk.attempt);
        this.#effects.push({
          kind: "cancel",
          branches: [b.index],
          reason: "superseded by a newer attempt",
          prune: false,
          supersededBelow: b.attempt,
        });
      }
      return;
    }
    if (accepted.kind === "ended") {
      // A redelivery of a branch whose end is known: stop the duplicate at once.
      this.#effects.push({ kind: "cancel", branches: [b.index], reason: "branch already ended", prune: true });
      return;
    }
    if (accepted.kind !== "accepted") return;
    if (accepted.redelivered)
      this.#note("info", "branch redelivered to another worker", { branch: b.index, attempt: b.attempt, ...accepted.redelivered });

    switch (chunk.kind) {
      case ChunkKind.CHUNK_KIND_STARTED:
        this.#firstPickupAt ??= this.#now;
        if (b.ended) return;
        b.status = BranchStatus.BRANCH_STATUS_RUNNING;
        this.#emitEvent({ $case: "branchStarted", value: { index: b.index, workerId: b.workerId, attempt: b.attempt } });
        return this.#feed({ kind: "started", branch: b.index });
      case ChunkKind.CHUNK_KIND_PROGRESS:
        if (chunk.tokens > 0) this.#firstTokensAt ??= this.#now;
        if (b.ended) return;
        this.#emitEvent({ $case: "branchProgress", value: { index: b.index, tokens: b.tokens, score: b.score } });
        // With a verifier that judges partial traces, the policy sees progress with its verdict.
        if (this.#spec.partialVerification) return this.#verify(b, false);
        return this.#feed({ kind: "progress", branch: b.index, tokens: b.tokens, ...confidenceOf(b) });
      case ChunkKind.CHUNK_KIND_FINISHED:
        this.#firstTokensAt ??= this.#now;
        return this.#onFinishedChunk(b, chunk);
      default: {
        this.#endChunk(b);
        if (b.ended) return;
        b.status = BranchStatus.BRANCH_STATUS_FAILED;
        b.failureCode = chunk.failureCode;
        b.reason =
          chunk.kind === ChunkKind.CHUNK_KIND_FAILED
            ? `worker ${chunk.workerId} failed: ${chunk.finishReason}`
            : `worker ${chunk.workerId} stopped it: ${chunk.finishReason}`;
        this.#emitEvent({ $case: "branchFailed", value: { index: b.index, reason: b.reason, tokens: b.totalTokens } });
        return this.#feed({ kind: "failed", branch: b.index, tokens: b.totalTokens, reason: b.reason });
      }
    }
  }

  /** The branch's attempt ended on its own: its final verdict is asked for, then it votes. */
  #onFinishedChunk(b: BranchState, chunk: TraceChunk): void {
    this.#endChunk(b);
    if (b.ended) return;
    b.finishReason = chunk.finishReason;
    if (this.#spec.verifier === "none" || this.#stop) return this.#finishBranch(b, undefined);
    // A partial verdict still awaited is taken first; its arrival asks for the final one.
    if (!b.verifying) this.#verify(b, true);
  }

  /**
   * A chunk that cannot be true is dropped, and its branch fails (its worker is told to stop): waiting
   * for a better chunk from the same worker could stall the query to its deadline, and believing it
   * would corrupt the bill. Only a chunk of the attempt that speaks for the branch, or a newer one,
   * fails it.
   */
  #refuseChunk(b: BranchState, chunk: TraceChunk, problem: string): void {
    const reason = `worker ${chunk.workerId.slice(0, 64)} sent ${problem}`;
    this.#drop(reason);
    if (b.ended || chunk.attempt < b.attempt) return;
    b.status = BranchStatus.BRANCH_STATUS_FAILED;
    b.reason = reason;
    this.#effects.push({ kind: "cancel", branches: [b.index], reason: "the worker sent a chunk that cannot be true", prune: false });
    this.#emitEvent({ $case: "branchFailed", value: { index: b.index, reason, tokens: b.totalTokens } });
    this.#feed({ kind: "failed", branch: b.index, tokens: b.totalTokens, reason });
  }

  /** Records a worker's last word on a branch; the query answers when it was the last one owed. */
  #endChunk(b: BranchState): void {
    b.finalChunkSeen = true;
    if (b.stopSentAt !== null) {
      this.#effects.push({ kind: "stop-acked", seconds: (this.#now - b.stopSentAt) / 1000 });
      b.stopSentAt = null;
    }
    if (this.#stop && !this.#awaitingStops()) this.#answerNow = true;
  }

  /** Asks for a verdict on the branch's trace so far; while one is awaited, partial requests coalesce. */
  #verify(b: BranchState, final: boolean): void {
    if (b.verifying) {
      b.verifyAgain = true;
      return;
    }
    const id = this.#nextCallId++;
    b.verifying = { id, attempt: b.attempt, final, traceEnd: b.text.length };
    b.verifyAgain = false;
    this.#calls.set(id, b.index);
    this.#verifierCalls++;
    this.#effects.push({ kind: "verify", id, request: this.#verifyRequest(b, final) });
  }

  /**
   * A partial request carries the trace from the verifier's last continuation on, so the bytes sent
   * per branch grow with its length, not its square. A final request carries the whole trace with the
   * same resume state: once per branch, and a verifier can still read all of it where it must (the
   * `rule` verifier extracts the answer from the whole trace) while resuming the rest.
   */
  #verifyRequest(b: BranchState, final: boolean): VerifyRequest {
    const s = this.#spec;
    const { offset, resume } = b.verifierContinuation;
    const from = final ? 0 : offset;
    return {
      verifier: s.verifier,
      prompt: s.prompt,
      trace: b.text.slice(from),
      traceOffset: from,
      resume,
      final,
      answerFormat: s.answerFormatEnum,
      queryId: s.queryId,
      branchIndex: b.index,
      recordedScore: b.recordedScore,
      recordedStepScores: b.recordedStepScores,
      confidence: b.confidence,
    };
  }

  #onVerdict(id: number, response: VerifyResponse): void {
    const index = this.#calls.get(id);
    if (index === undefined) return;
    this.#calls.delete(id);
    const b = this.#branches[index]!;
    const call = b.verifying!;
    b.verifying = null;
    const current = call.attempt === b.attempt;
    if (current) b.verifierContinuation = continuationOf(response, call.traceEnd);
    if (response.fallback) this.#verifierFellBack(response.fallback);
    if (response.error) this.#verifierFailed(b, response.error);
    else if (current) {
      b.score = response.score;
      b.stepScores = response.stepScores;
      b.verified = response.verified;
    }
    if (b.ended || this.#stop) return;
    const reject = current && !response.error && response.reject ? { reject: `verifier ${this.#spec.verifier}: ${response.reason}` } : {};
    if (call.final) {
      if (!current) return; // the finished attempt was superseded: the new one reports its own end
      if ("reject" in reject) return this.#feed({ kind: "progress", branch: b.index, tokens: b.tokens, score: b.score, ...reject });
      return this.#finishBranch(b, response.error ? undefined : response.score);
    }
    if (current) {
      const scored = response.error ? {} : { score: b.score, stepScores: b.stepScores };
      this.#feed({ kind: "progress", branch: b.index, tokens: b.tokens, ...scored, ...confidenceOf(b), ...reject });
      if (b.ended || this.#stop) return;
    }
    if (b.finalChunkSeen) this.#verify(b, true);
    else if (b.verifyAgain) this.#verify(b, false);
  }

  /**
   * A worker fell silent (dead or frozen): its running branches are dispatched again at once, as
   * attempts numbered past anything JetStream would redeliver, instead of waiting out the ack wait.
   * What the lost attempts generated is billed as waste when the new attempt's first chunk arrives.
   */
  #onWorkerLost(workerId: string): void {
    if (this.#stop) return;
    for (const b of this.#branches) {
      if (b.ended || !b.running || b.finalChunkSeen || b.workerId !== workerId || b.redispatchedAttempt === b.attempt) continue;
      b.redispatchedAttempt = b.attempt;
      this.#note("info", "worker lost: branch dispatched again", { branch: b.index, workerId, attempt: b.attempt });
      this.#effects.push({ kind: "redispatch", branch: b.index, attemptOffset: b.attempt + redispatchAttemptStep });
    }
  }

  #verifierFellBack(why: string): void {
    if (this.#verifierFallbacks) this.#verifierFallbacks.count++;
    else this.#verifierFallbacks = { count: 1, firstError: why };
  }

  #verifierFailed(b: BranchState, error: string): void {
    if (this.#verifierFailures) this.#verifierFailures.count++;
    else this.#verifierFailures = { count: 1, firstError: error };
    this.#note("warn", "verifier call failed; trace left unscored", { branch: b.index, err: error });
  }

  /** The branch ended on its own: it votes. `score` is the final verdict's, when there was one. */
  #finishBranch(b: BranchState, score: number | undefined): void {
    const answer = this.#readAnswer(b.text);
    b.status = BranchStatus.BRANCH_STATUS_FINISHED;
    if (!b.restored) this.#effects.push({ kind: "branch-finished", chunk: b.asFinishedChunk(this.#spec.queryId) });
    b.answer = answer ?? "";
    b.reason = answer === null ? "no answer found in the trace" : b.finishReason === "length" ? "hit the per-branch token limit" : "";
    this.#emitEvent({
      $case: "branchFinished",
      value: { index: b.index, answer: b.answer, score: b.score, tokens: b.totalTokens, finishReason: b.finishReason },
    });
    this.#feed({
      kind: "finished",
      branch: b.index,
      answer,
      tokens: b.totalTokens,
      verified: b.verified,
      ...confidenceOf(b),
      ...(score !== undefined ? { score } : {}),
    });
    if (this.#stop?.reason !== "deadline") this.#emitConsensus();
  }

  #emitConsensus(): void {
    const c = this.#controller.consensus();
    this.#emitEvent({
      $case: "consensus",
      value: {
        leader: c.leader ?? "",
        votes: c.votes,
        leaderProbability: c.leaderProbability,
        branchesFinished: this.#controller.finished,
        branchesInFlight: this.#controller.inFlight,
      },
    });
  }

  #prune(index: number, reason: string): void {
    const b = this.#branches[index];
    if (!b || b.ended) return;
    if (b.running && !b.finalChunkSeen) b.stopSentAt = this.#now;
    b.status = BranchStatus.BRANCH_STATUS_PRUNED;
    b.reason = reason;
    this.#effects.push({ kind: "cancel", branches: [index], reason, prune: true });
    this.#emitEvent({ $case: "branchPruned", value: { index, status: b.status, reason, tokens: b.totalTokens } });
  }

  /** The query is decided: stop every open branch, then answer once their final counts are in (or the settle wait ends). */
  #finish(reason: StopReasonName, detail: string): void {
    if (this.#stop) return;
    this.#stop = { reason, detail };
    this.#decidedAt = this.#now;
    let open = false;
    for (const b of this.#branches) {
      if (b.ended) continue;
      open = true;
      if (b.running && !b.finalChunkSeen) b.stopSentAt = this.#now;
      b.status = BranchStatus.BRANCH_STATUS_CANCELLED;
      b.reason = `not needed: query stopped (${reason})`;
      this.#emitEvent({ $case: "branchPruned", value: { index: b.index, status: b.status, reason: b.reason, tokens: b.totalTokens } });
    }
    // One cancel for the whole query also stops tasks still queued or still being dispatched.
    if (open || this.#controller.launched < this.#spec.limits.maxBranches) {
      this.#effects.push({ kind: "cancel", branches: [], reason: `query stopped: ${reason}`, prune: false });
    }
    if (!this.#awaitingStops()) this.#answerNow = true;
    else this.#effects.push({ kind: "arm", timer: "settle", at: this.#now + this.#spec.cancelSettleMs });
  }

  #awaitingStops(): boolean {
    return this.#branches.some((b) => b.awaitingStop);
  }

  #outcome(): QueryEffect {
    const stop = this.#stop!;
    const started = this.#startedAt!;
    const since = (t: number | null) => (t === null ? 0 : (t - started) / 1000);
    const result = buildResult({
      spec: this.#spec,
      branches: this.#branches,
      consensus: this.#controller.consensus(),
      stop,
      verifierCalls: this.#verifierCalls,
      verifierFailures: this.#verifierFailures,
      verifierFallbacks: this.#verifierFallbacks,
      timing: {
        queuedSeconds: since(this.#firstPickupAt),
        firstBranchStartedSeconds: since(this.#firstTokensAt),
        decidedSeconds: since(this.#decidedAt),
        totalSeconds: since(this.#now),
      },
    });
    // Workers stop their branches at the same deadline. When their word of it arrives before this
    // engine's own deadline timer fires (a loaded scheduler), the branches look failed and the budget
    // spent, but what ended the query was time.
    const outOfTime =
      result.answer === "" && stop.reason !== "cancelled" && stop.reason !== "draining" && this.#now >= this.#spec.deadlineAt;
    const failure = failureFor({
      result,
      stop: outOfTime ? { ...stop, reason: "deadline" } : stop,
      branches: this.#branches,
      dispatchError: this.#dispatchError,
      liveWorkers: this.#liveWorkers,
    });
    return { kind: "done", result, failure };
  }

  #emitEvent(event: NonNullable<SolveEvent["event"]>): void {
    this.#effects.push({ kind: "emit", event: { event } });
  }

  #drop(reason: string): void {
    this.#effects.push({ kind: "dropped", reason });
  }

  #note(level: "info" | "warn", message: string, fields: Record<string, unknown>): void {
    this.#effects.push({ kind: "note", level, message, fields });
  }
}

/**
 * The continuation a verdict gives: where the next request starts the trace, and the state to send.
 * After an error (the verifier may have failed on its own state) or an offset past the trace the
 * verifier was sent, the next request starts over with the whole trace.
 */
function continuationOf(response: VerifyResponse, traceEnd: number): VerifierContinuation {
  if (response.error || response.resumeOffset > traceEnd) return startOver;
  return { offset: response.resumeOffset, resume: response.resume };
}

/** The branch's confidence statistics as a controller event field, when the worker sent any. */
function confidenceOf(b: BranchState): { confidence?: BranchConfidence } {
  return b.confidence && b.confidence.tokens > 0 ? { confidence: { ...b.confidence } } : {};
}

/**
 * The restored branches the engine will reuse: FINISHED chunks of this query's branch indexes that a
 * branch of this query could have sent. The record is the schedulers' own, but a bad one must not
 * corrupt a bill: a chunk that fails the checks is dispatched again instead.
 */
function restorable(spec: QuerySpec): ReadonlyMap<number, TraceChunk> {
  const out = new Map<number, TraceChunk>();
  for (const [index, chunk] of spec.restored ?? []) {
    const fits =
      chunk.kind === ChunkKind.CHUNK_KIND_FINISHED &&
      chunk.branchIndex === index &&
      index < spec.limits.maxBranches &&
      chunk.attempt > 0 &&
      chunkOutOfBounds(chunk, 0, { maxTokens: spec.maxTokensPerBranch, elapsedSeconds: Infinity }) === null;
    if (fits) out.set(index, chunk);
  }
  return out;
}
