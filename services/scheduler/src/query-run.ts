import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import {
  stopReasonFromName,
  BranchStatus,
  BranchTask,
  CancelBranches,
  ChunkKind,
  TraceChunk,
  type SolveEvent,
  type SolveResult,
} from "@ttc/proto";
import { tryDecode, type Logger, type WireNames } from "@ttc/common";
import {
  AnswerGroups,
  answerKey,
  createQueryController,
  type BranchConfidence,
  type Decision,
  type QueryController,
  type QueryEvent,
  type StopReasonName,
} from "@ttc/policy";
import { BranchState } from "./branch-state.js";
import { ServiceError } from "./errors.js";
import type { SchedulerMetrics } from "./metrics.js";
import { branchSeed, type ResolvedQuery } from "./resolve-request.js";
import type { VerifierClient } from "./verifier-client.js";
import { buildResult, outcomeOf } from "./result.js";

export interface QueryRunDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  names: WireNames;
  schedulerId: string;
  verifier: VerifierClient;
  metrics: SchedulerMetrics;
  log: Logger;
  chunkTokens: number;
  /** Sibling branches per task (1 = spread). */
  gangSize: number;
  cancelSettleMs: number;
  liveWorkers: () => number;
}

/**
 * One query in flight: the I/O shell around the pure controller. Publishes branch tasks, consumes
 * trace chunks, asks the verifier, carries out prune / launch / finish decisions, and answers.
 */
export class QueryRun {
  readonly queryId = randomUUID().replace(/-/g, "");
  private readonly branches = new Map<number, BranchState>();
  private readonly controller: QueryController;
  private readonly acceptedAt = performance.now();
  private readonly log: Logger;
  private readonly verifying = new Map<number, Promise<void>>();
  private readonly verifyAgain = new Set<number>();
  private readonly answers: AnswerGroups;
  private sub: Subscription | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private firstPickupAt: number | null = null;
  private firstTokensAt: number | null = null;
  private decidedAt: number | null = null;
  private stop: { reason: StopReasonName; detail: string } | null = null;
  private enqueueError: string | null = null;
  private verifierCalls = 0;
  private verifierFailures: { count: number; firstError: string } | null = null;
  private finalized = false;
  private readonly deadlineAtMs: number;
  private resolveDone!: (value: SolveResult | ServiceError) => void;
  private readonly done = new Promise<SolveResult | ServiceError>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly deps: QueryRunDeps,
    private readonly query: ResolvedQuery,
    /** Absolute deadline, ms since the epoch, already shortened to leave time to answer. */
    deadlineAtMs: number,
    private readonly emit: (event: SolveEvent) => void,
  ) {
    this.deadlineAtMs = Math.floor(deadlineAtMs);
    this.controller = createQueryController(query.policy, query.limits);
    this.answers = new AnswerGroups(query.answerFormat);
    this.log = deps.log.child({ queryId: this.queryId });
  }

  /** Runs the query to its end. Resolves with the result; rejects with a ServiceError. */
  async run(): Promise<SolveResult> {
    const { nc, names, schedulerId } = this.deps;
    this.sub = nc.subscribe(names.traceSubject(schedulerId, this.queryId), {
      callback: (err, msg) => {
        if (!err) this.onChunk(msg.data);
      },
    });
    await nc.flush(); // the inbox must exist before any worker can answer into it
    this.deadlineTimer = setTimeout(() => this.interrupt("deadline"), Math.max(0, this.deadlineAtMs - Date.now()));
    this.log.debug({ limits: this.query.limits, policy: this.query.policy.name }, "query started");
    this.apply(this.controller.start());
    const outcome = await this.done;
    if (outcome instanceof ServiceError) throw outcome;
    return outcome;
  }

  /** Ends the query now for an outside reason; it answers with what it has. */
  interrupt(reason: "deadline" | "cancelled" | "draining"): void {
    this.apply(this.controller.on({ kind: "interrupt", reason }));
  }

  private apply(decisions: Decision[]): void {
    for (const d of decisions) {
      if (d.kind === "launch") void this.launch(d.branches);
      else if (d.kind === "prune") this.prune(d.branch, d.reason);
      else this.finish(d.reason, d.detail);
    }
  }

  private feed(event: QueryEvent): void {
    this.apply(this.controller.on(event));
  }

  private async launch(indexes: number[]): Promise<void> {
    const { js, names, schedulerId, chunkTokens, gangSize } = this.deps;
    for (const index of indexes) this.branches.set(index, new BranchState(index));
    // Siblings launched together go out as gangs of `gangSize`: one task, one worker, shared prefill.
    for (let i = 0; i < indexes.length; i += gangSize) {
      const gang = indexes.slice(i, i + gangSize);
      const first = gang[0]!;
      try {
        const task = BranchTask.encode({
          queryId: this.queryId,
          branchIndex: first,
          prompt: this.query.prompt,
          systemPrompt: this.query.systemPrompt,
          model: this.query.model,
          maxTokens: this.query.maxTokensPerBranch,
          seed: branchSeed(this.query.seed, first),
          querySeed: this.query.seed,
          answerFormat: this.query.answerFormatEnum,
          deadlineUnixMs: this.deadlineAtMs,
          traceSubject: names.traceSubject(schedulerId, this.queryId),
          chunkTokens,
          gangBranchIndexes: gang.length > 1 ? gang : [],
          gangSeeds: gang.length > 1 ? gang.map((b) => branchSeed(this.query.seed, b)) : [],
        }).finish();
        // msgID makes a retried publish of the same task a no-op within the stream's duplicate window.
        await js.publish(names.taskSubject, task, { msgID: `${this.queryId}-${first}` });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.enqueueError = `could not enqueue branch tasks on stream ${names.taskStream}: ${message}`;
        this.log.warn({ branches: gang, err: message }, "enqueue failed");
        for (const index of gang) {
          const b = this.branches.get(index)!;
          if (b.ended) continue;
          b.status = BranchStatus.BRANCH_STATUS_FAILED;
          b.reason = this.enqueueError;
          this.emit({ event: { $case: "branchFailed", value: { index, reason: b.reason, tokens: 0 } } });
          this.feed({ kind: "failed", branch: index, tokens: 0, reason: b.reason });
        }
      }
    }
  }

  private onChunk(data: Uint8Array): void {
    const chunk = tryDecode(TraceChunk, data);
    const b = chunk && chunk.queryId === this.queryId ? this.branches.get(chunk.branchIndex) : undefined;
    if (!chunk || !b) {
      this.deps.metrics.malformedMessages.inc({ kind: "trace" });
      return;
    }
    if (chunk.attempt < b.attempt) return; // a superseded attempt still talking
    if (chunk.attempt > b.attempt) {
      if (b.ended && b.finalChunkSeen) {
        // A redelivery of a branch we already have the end of: stop the duplicate at once.
        this.publishCancel([b.index], "branch already ended", true);
        return;
      }
      if (b.attempt > 0)
        this.log.info({ branch: b.index, attempt: chunk.attempt, lostTokens: b.tokens }, "branch redelivered to another worker");
      b.supersede(chunk.attempt);
    }
    if (chunk.seq <= b.lastSeq) return; // duplicate
    b.lastSeq = chunk.seq;
    b.tokens = chunk.tokens;
    b.engineSeconds = chunk.engineSeconds;
    if (chunk.promptTokens) b.promptTokens = chunk.promptTokens;
    if (chunk.cachedPromptTokens) b.cachedPromptTokens = chunk.cachedPromptTokens;
    if (chunk.confidence) b.confidence = chunk.confidence;
    if (chunk.recordedScore !== undefined) b.recordedScore = chunk.recordedScore;
    if (chunk.recordedStepScores.length > 0) b.recordedStepScores = chunk.recordedStepScores;
    b.workerId = chunk.workerId;
    b.text += chunk.text;
    const now = performance.now();

    switch (chunk.kind) {
      case ChunkKind.CHUNK_KIND_STARTED:
        this.firstPickupAt ??= now;
        if (b.ended) return;
        b.status = BranchStatus.BRANCH_STATUS_RUNNING;
        this.emit({ event: { $case: "branchStarted", value: { index: b.index, workerId: b.workerId, attempt: b.attempt } } });
        this.feed({ kind: "started", branch: b.index });
        return;
      case ChunkKind.CHUNK_KIND_PROGRESS:
        if (chunk.tokens > 0) this.firstTokensAt ??= now;
        if (b.ended) return;
        this.emit({ event: { $case: "branchProgress", value: { index: b.index, tokens: b.tokens, score: b.score } } });
        this.feed({ kind: "progress", branch: b.index, tokens: b.tokens, ...confidenceOf(b) });
        if (this.query.verifier !== "none" && this.deps.verifier.supportsPartial(this.query.verifier)) this.verifyPartial(b);
        return;
      case ChunkKind.CHUNK_KIND_FINISHED:
        this.firstTokensAt ??= now;
        this.endChunk(b);
        if (!b.ended) void this.finishBranch(b, chunk.finishReason);
        return;
      case ChunkKind.CHUNK_KIND_CANCELLED:
      case ChunkKind.CHUNK_KIND_FAILED: {
        this.endChunk(b);
        if (b.ended) return;
        b.status = BranchStatus.BRANCH_STATUS_FAILED;
        b.failureCode = chunk.failureCode;
        b.reason =
          chunk.kind === ChunkKind.CHUNK_KIND_FAILED
            ? `worker ${chunk.workerId} failed: ${chunk.finishReason}`
            : `worker ${chunk.workerId} stopped it: ${chunk.finishReason}`;
        this.emit({ event: { $case: "branchFailed", value: { index: b.index, reason: b.reason, tokens: b.totalTokens } } });
        this.feed({ kind: "failed", branch: b.index, tokens: b.totalTokens, reason: b.reason });
        return;
      }
      default:
        this.deps.metrics.malformedMessages.inc({ kind: "trace" });
    }
  }

  /** Records a worker's last word on a branch; completes the settle wait when it was the last one owed. */
  private endChunk(b: BranchState): void {
    b.finalChunkSeen = true;
    if (b.stopSentAt !== null) {
      this.deps.metrics.cancelToAck.observe((performance.now() - b.stopSentAt) / 1000);
      b.stopSentAt = null;
    }
    if (this.stop && !this.awaitingStops()) this.finalize();
  }

  private verifyPartial(b: BranchState): void {
    if (this.verifying.has(b.index)) {
      this.verifyAgain.add(b.index);
      return;
    }
    const work = (async () => {
      do {
        this.verifyAgain.delete(b.index);
        const response = await this.callVerifier(b, false);
        if (response && !b.ended && !this.stop) {
          this.feed({
            kind: "progress",
            branch: b.index,
            tokens: b.tokens,
            score: b.score,
            stepScores: b.stepScores,
            ...confidenceOf(b),
            ...(response.reject ? { reject: `verifier ${this.query.verifier}: ${response.reason}` } : {}),
          });
        }
      } while (this.verifyAgain.has(b.index) && !b.ended && !this.stop);
    })().finally(() => this.verifying.delete(b.index));
    this.verifying.set(b.index, work);
  }

  private async callVerifier(b: BranchState, final: boolean) {
    this.verifierCalls++;
    this.deps.metrics.verifierCalls.inc({ verifier: this.query.verifier });
    const response = await this.deps.verifier.verify({
      verifier: this.query.verifier,
      prompt: this.query.prompt,
      trace: b.text,
      final,
      answerFormat: this.query.answerFormatEnum,
      queryId: this.queryId,
      branchIndex: b.index,
      recordedScore: b.recordedScore,
      recordedStepScores: b.recordedStepScores,
      confidence: b.confidence,
    });
    if (response.error) {
      this.deps.metrics.verifierErrors.inc({ verifier: this.query.verifier });
      if (this.verifierFailures) this.verifierFailures.count++;
      else this.verifierFailures = { count: 1, firstError: response.error };
      this.log.warn({ branch: b.index, err: response.error }, "verifier call failed; trace left unscored");
      return null;
    }
    b.score = response.score;
    b.stepScores = response.stepScores;
    b.verified = response.verified;
    return response;
  }

  private async finishBranch(b: BranchState, finishReason: string): Promise<void> {
    await this.verifying.get(b.index);
    const answer = this.answers.canonical(answerKey(b.text, this.query.answerFormat));
    let score: number | undefined;
    if (this.query.verifier !== "none" && !this.stop) {
      const response = await this.callVerifier(b, true);
      if (response?.reject && !b.ended && !this.stop) {
        this.feed({
          kind: "progress",
          branch: b.index,
          tokens: b.tokens,
          score: b.score,
          reject: `verifier ${this.query.verifier}: ${response.reason}`,
        });
        return;
      }
      if (response) score = response.score;
    }
    if (b.ended) return;
    b.status = BranchStatus.BRANCH_STATUS_FINISHED;
    b.answer = answer ?? "";
    b.reason = answer === null ? "no answer found in the trace" : finishReason === "length" ? "hit the per-branch token limit" : "";
    this.emit({
      event: { $case: "branchFinished", value: { index: b.index, answer: b.answer, score: b.score, tokens: b.totalTokens, finishReason } },
    });
    this.feed({
      kind: "finished",
      branch: b.index,
      answer,
      tokens: b.totalTokens,
      verified: b.verified,
      ...confidenceOf(b),
      ...(score !== undefined ? { score } : {}),
    });
    if (!this.stop || this.stop.reason !== "deadline") this.emitConsensus();
  }

  private emitConsensus(): void {
    const c = this.controller.consensus();
    this.emit({
      event: {
        $case: "consensus",
        value: {
          leader: c.leader ?? "",
          votes: c.votes,
          leaderProbability: c.leaderProbability,
          branchesFinished: this.controller.finished,
          branchesInFlight: this.controller.inFlight,
        },
      },
    });
  }

  private prune(index: number, reason: string): void {
    const b = this.branches.get(index);
    if (!b || b.ended) return;
    const running = b.status === BranchStatus.BRANCH_STATUS_RUNNING;
    b.status = BranchStatus.BRANCH_STATUS_PRUNED;
    b.reason = reason;
    if (running && !b.finalChunkSeen) b.stopSentAt = performance.now();
    this.publishCancel([index], reason, true);
    this.emit({ event: { $case: "branchPruned", value: { index, status: b.status, reason, tokens: b.totalTokens } } });
  }

  private finish(reason: StopReasonName, detail: string): void {
    if (this.stop) return;
    this.stop = { reason, detail };
    this.decidedAt = performance.now();
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    let openBranches = false;
    for (const b of this.branches.values()) {
      if (b.ended) continue;
      openBranches = true;
      const running = b.status === BranchStatus.BRANCH_STATUS_RUNNING;
      b.status = BranchStatus.BRANCH_STATUS_CANCELLED;
      b.reason = `not needed: query stopped (${reason})`;
      if (running && !b.finalChunkSeen) b.stopSentAt = performance.now();
      this.emit({ event: { $case: "branchPruned", value: { index: b.index, status: b.status, reason: b.reason, tokens: b.totalTokens } } });
    }
    // One cancel for the whole query also stops tasks that are still queued or in publication.
    if (openBranches || this.controller.launched < this.query.limits.maxBranches) this.publishCancel([], `query stopped: ${reason}`, false);
    if (!this.awaitingStops()) this.finalize();
    else this.settleTimer = setTimeout(() => this.finalize(), this.deps.cancelSettleMs);
  }

  private awaitingStops(): boolean {
    for (const b of this.branches.values()) if (b.stopSentAt !== null && !b.finalChunkSeen) return true;
    return false;
  }

  private publishCancel(branchIndexes: number[], reason: string, prune: boolean): void {
    const msg = CancelBranches.encode({ queryId: this.queryId, branchIndexes, reason, prune }).finish();
    this.deps.nc.publish(this.deps.names.cancelSubject(this.queryId), msg);
  }

  private finalize(): void {
    if (this.finalized || !this.stop) return;
    this.finalized = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.sub?.unsubscribe();
    const since = (t: number | null) => (t === null ? 0 : (t - this.acceptedAt) / 1000);
    const result = buildResult({
      queryId: this.queryId,
      query: this.query,
      branches: [...this.branches.values()].sort((a, b) => a.index - b.index),
      consensus: this.controller.consensus(),
      stopReason: stopReasonFromName(this.stop.reason),
      stopDetail: this.stop.detail,
      verifierCalls: this.verifierCalls,
      ...(this.verifierFailures ? { verifierFailures: this.verifierFailures } : {}),
      gangSize: this.deps.gangSize,
      timing: {
        queuedSeconds: since(this.firstPickupAt),
        firstBranchStartedSeconds: since(this.firstTokensAt),
        decidedSeconds: since(this.decidedAt),
        totalSeconds: since(performance.now()),
      },
    });
    const error = this.errorFor(result);
    this.record(result, error);
    this.log.info(
      {
        answer: result.answer,
        stop: this.stop.reason,
        tokens: result.compute?.generatedTokens,
        wasted: result.compute?.wastedTokens,
        seconds: result.timing?.totalSeconds,
      },
      "query answered",
    );
    this.resolveDone(error ?? result);
  }

  /** Turns a result with nothing to say into the error the caller should see. */
  private errorFor(result: SolveResult): ServiceError | null {
    const stop = this.stop!;
    if (stop.reason === "cancelled") return new ServiceError(status.CANCELLED, "the caller cancelled the query");
    if (result.answer !== "") return null;
    const all = [...this.branches.values()];
    const picked = all.filter((b) => b.attempt > 0).length;
    if (stop.reason === "deadline") {
      const live = this.deps.liveWorkers();
      return new ServiceError(
        status.DEADLINE_EXCEEDED,
        picked === 0
          ? `deadline passed before any worker picked up a branch (${all.length} queued, ${live} live workers); add workers or allow a longer deadline`
          : `deadline passed before any branch produced an answer (${picked} of ${all.length} branches started); allow a longer deadline or fewer tokens per branch`,
      );
    }
    if (stop.reason === "draining")
      return new ServiceError(status.UNAVAILABLE, "the scheduler shut down before the query had an answer; retry on another replica");
    if (this.enqueueError && picked === 0) return new ServiceError(status.UNAVAILABLE, this.enqueueError);
    // Every branch failed the same way at the engine: the request itself is the problem (a prompt
    // too long, a bad parameter) or the engine is down; say so with the matching code.
    const failed = all.filter((b) => b.status === BranchStatus.BRANCH_STATUS_FAILED);
    const code = failed[0]?.failureCode;
    if (code && failed.length === all.filter((b) => b.attempt > 0).length && failed.every((b) => b.failureCode === code)) {
      const grpc = engineStatus[code];
      if (grpc !== undefined) return new ServiceError(grpc, `every branch failed at the engine: ${failed[0]!.reason}`);
    }
    return null; // branches ran but none answered: a valid result with an empty answer and the reasons per branch
  }

  private record(result: SolveResult, error: ServiceError | null): void {
    const m = this.deps.metrics;
    const c = result.compute!;
    m.queries.inc({ outcome: outcomeOf(result, error) });
    m.queryDuration.observe(result.timing!.totalSeconds);
    m.queryGeneratedTokens.observe(c.generatedTokens);
    m.queryWastedTokens.observe(c.wastedTokens);
    m.queryBranchesLaunched.observe(c.branchesLaunched);
    m.queryBranchesPruned.observe(c.branchesPruned);
    m.generatedTokens.inc(c.generatedTokens);
    m.wastedTokens.inc(c.wastedTokens);
    m.cachedPromptTokens.inc(c.cachedPromptTokens);
  }
}

/** Engine failure codes the workers report, as gRPC statuses. */
const engineStatus: Record<string, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
};

/** The branch's confidence statistics as a controller event field, when the worker sent any. */
function confidenceOf(b: BranchState): { confidence?: BranchConfidence } {
  return b.confidence && b.confidence.tokens > 0 ? { confidence: { ...b.confidence } } : {};
}
