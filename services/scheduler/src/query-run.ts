import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { status } from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  BranchTask,
  CancelBranches,
  ChunkKind,
  executionModeFromLabel,
  stopReasonLabel,
  type SolveEvent,
  type SolveResult,
  type TraceChunk,
} from "@ttc/proto";
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  taskKeyBytes,
  traceCarrier,
  tracer,
  withSpan,
  type Context,
  type Logger,
  type Span,
  type WireNames,
} from "@ttc/common";
import { defaultExecutionMode } from "@ttc/policy";
import { QueryEngine, type QueryEffect, type QueryFailure, type QueryInput, type QueryTimer } from "@ttc/query";
import { outcomeLabel, ServiceError } from "./errors.js";
import type { SchedulerMetrics } from "./metrics.js";
import type { FairShare } from "./fair-share.js";
import type { TaskPublisher } from "./task-publisher.js";
import type { TraceRouter } from "./trace-router.js";
import { branchSeed, type ResolvedQuery } from "./resolve-request.js";
import type { VerifierClient } from "./verifier-client.js";
import type { RequestRecordWriter } from "./request-records.js";
import type { QueryRecords } from "./query-records.js";
import { QueryHistory } from "./query-history.js";

/** A run of a request with a request_id. */
export interface RecordedRunOptions {
  /** Branches an earlier run of the request finished, to reuse. */
  restored: ReadonlyMap<number, TraceChunk> | undefined;
  /** Opens the request's record for this run (its query id). */
  record(queryId: string): RequestRecordWriter;
}

export interface QueryRunDeps {
  nc: NatsConnection;
  publisher: TaskPublisher;
  /** Holds branch tasks until the fleet has room, shared fairly between tenants. */
  fairShare: FairShare;
  /** Charges tokens the tenant's query generated (its budget and its fair share). */
  charge(tenant: string, tokens: number): void;
  /** Removes a task from the stream by its sequence (best effort), so JetStream does not redeliver a re-dispatched branch. */
  deleteTask(seq: number): void;
  traces: TraceRouter;
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
  /** Where each query's record goes; undefined: queries are not recorded. */
  queryRecords: QueryRecords | undefined;
  recordSettings: { traceChars: number; prompts: "keep" | "redact" };
}

/** Chunks after which a branch attempt generates no more: its worker slot is free. */
const finalKinds: ReadonlySet<ChunkKind> = new Set([
  ChunkKind.CHUNK_KIND_FINISHED,
  ChunkKind.CHUNK_KIND_CANCELLED,
  ChunkKind.CHUNK_KIND_FAILED,
]);

/** Whether the chunk carries the key of the task that carried its branch (compared in constant time). */
function carriesKey(chunkKeys: ReadonlyMap<number, Buffer>, chunk: TraceChunk): boolean {
  const key = chunkKeys.get(chunk.branchIndex);
  return key !== undefined && chunk.chunkKey.length === key.length && timingSafeEqual(chunk.chunkKey, key);
}

/** How long an answer waits for its query's record to be written. */
const recordWaitMs = 250;

/** The engine's clock: epoch milliseconds with sub-millisecond resolution, so timings are not rounded to 1 ms. */
const now = (): number => performance.timeOrigin + performance.now();

/**
 * One query in flight: the NATS adapter of its `QueryEngine`. It subscribes to the query's trace
 * subject, turns messages, verdicts and timers into engine inputs, and carries out the engine's
 * effects (publish tasks, cancels, verify calls, stream events, metrics). Every decision is the engine's.
 */
export class QueryRun {
  readonly queryId = randomUUID().replace(/-/g, "");
  private readonly engine: QueryEngine;
  private readonly log: Logger;
  private readonly traceSubject: string;
  private readonly timers = new Map<QueryTimer, NodeJS.Timeout>();
  /** The query's secret in its tasks and cancels: workers obey only cancels that carry it. */
  private readonly cancelKey = randomBytes(taskKeyBytes);
  /** Each dispatched branch's chunk key: the secret of the task that carries it. */
  private readonly chunkKeys = new Map<number, Buffer>();
  /** The stream sequence of each branch's task, when the task carried that branch alone. */
  private readonly taskSeqs = new Map<number, number>();
  /** Branches whose tasks went to the work queue and whose final chunk has not come: the fleet slots the query holds. */
  private readonly holding = new Set<number>();
  /** Tokens of the engine's bill already charged to the tenant. */
  private charged = 0;
  /** Set when the query starts: stops its chunks' routing. */
  private unroute: (() => void) | null = null;
  private resolveDone!: (value: SolveResult | ServiceError) => void;
  private readonly done = new Promise<SolveResult | ServiceError>((resolve) => (this.resolveDone = resolve));
  /** The request's durable record, when it has a request_id. */
  private readonly record: RequestRecordWriter | undefined;
  /** The query's record (what GetQuery and `ttc show` read), when queries are recorded. */
  private readonly history: QueryHistory | undefined;
  /** The query's span, the root of its trace (a no-op when tracing is off). */
  private readonly span: Span;
  /** Its W3C trace context, for tasks and verify requests; empty when tracing is off. */
  private readonly trace: Record<string, string>;

  constructor(
    private readonly deps: QueryRunDeps,
    private readonly query: ResolvedQuery,
    /** Absolute deadline, ms since the epoch, already shortened to leave time to answer. */
    private readonly deadlineAtMs: number,
    private readonly emit: (event: SolveEvent) => void,
    /** Whose query it is (the caller's token's tenant). */
    readonly tenant: string,
    /** The caller's trace context, which the query's span continues (the root context: a trace of its own). */
    callerTrace: Context = ROOT_CONTEXT,
    recorded?: RecordedRunOptions,
  ) {
    this.log = deps.log.child({ queryId: this.queryId, tenant });
    this.traceSubject = deps.names.traceSubject(deps.schedulerId, this.queryId);
    this.engine = new QueryEngine({
      queryId: this.queryId,
      prompt: query.prompt,
      answerFormat: query.answerFormat,
      answerFormatEnum: query.answerFormatEnum,
      policy: query.policy,
      limits: query.limits,
      maxTokensPerBranch: query.maxTokensPerBranch,
      verifier: query.verifier,
      partialVerification: query.verifier !== "none" && deps.verifier.supportsPartial(query.verifier),
      seed: query.seed,
      gangSize: deps.gangSize,
      cancelSettleMs: deps.cancelSettleMs,
      deadlineAt: Math.floor(deadlineAtMs),
      includeAnswerTrace: query.includeAnswerTrace,
      ...(recorded?.restored ? { restored: recorded.restored } : {}),
    });
    this.record = recorded?.record(this.queryId);
    this.span = tracer().startSpan(
      "ttc.query",
      {
        attributes: {
          "ttc.query_id": this.queryId,
          "ttc.tenant": tenant,
          "ttc.policy": query.policy.name,
          "ttc.verifier": query.verifier,
          "ttc.max_branches": query.limits.maxBranches,
          "ttc.seed": query.seed,
        },
      },
      callerTrace,
    );
    this.trace = traceCarrier(withSpan(this.span, callerTrace));
    this.history = deps.queryRecords
      ? new QueryHistory(deps.queryRecords.writer(this.queryId), (i) => this.engine.branch(i), deps.recordSettings.traceChars)
      : undefined;
  }

  /** Runs the query to its end. Resolves with the result; rejects with a ServiceError. */
  async run(): Promise<SolveResult> {
    this.unroute = this.deps.traces.route(this.queryId, (chunk) => this.onChunk(chunk));
    this.log.debug({ limits: this.query.limits, policy: this.query.policy.name }, "query started");
    this.recordStart();
    this.emit({ event: { $case: "accepted", value: { queryId: this.queryId, seed: this.query.seed } } });
    this.perform(this.engine.start(now()));
    const outcome = await this.done;
    if (outcome instanceof ServiceError) throw outcome;
    return outcome;
  }

  /** Ends the query now for an outside reason; it answers with what it has. */
  interrupt(reason: "cancelled" | "draining" | "tenant_budget"): void {
    this.input({ kind: "interrupt", at: now(), reason });
  }

  /** A worker stopped sending heartbeats: the engine dispatches again what it was running for this query. */
  workerLost(workerId: string): void {
    this.input({ kind: "worker-lost", at: now(), workerId });
  }

  /** Passes a chunk to the engine if it carries its task's key; anyone can publish on a trace subject they can guess. */
  private onChunk(chunk: TraceChunk): void {
    if (!carriesKey(this.chunkKeys, chunk)) {
      this.deps.metrics.unauthenticatedChunks.inc();
      this.log.debug({ branch: chunk.branchIndex, worker: chunk.workerId.slice(0, 64) }, "trace chunk without its task's key dropped");
      return;
    }
    this.input({ kind: "chunk", at: now(), chunk });
    if (finalKinds.has(chunk.kind)) this.freeSlots([chunk.branchIndex]);
    const generated = this.engine.generatedTokens;
    if (generated > this.charged) {
      const tokens = generated - this.charged;
      this.charged = generated;
      this.deps.charge(this.tenant, tokens);
    }
  }

  /**
   * For a minute after answering, a keyed chunk that still streams (a worker that froze while its
   * branch was dispatched again, then woke) gets one cancel of the whole query, so it stops instead of
   * generating for nobody. Only the keys and the cancel are kept, not the query.
   */
  private retire(): void {
    const { nc, names, traces } = this.deps;
    const { queryId, cancelKey, chunkKeys } = this;
    let cancelled = false;
    traces.retire(
      queryId,
      (chunk) => {
        if (cancelled || finalKinds.has(chunk.kind)) return;
        if (!carriesKey(chunkKeys, chunk)) return;
        cancelled = true;
        const cancel = {
          queryId,
          branchIndexes: [],
          reason: "the query has already answered",
          prune: false,
          cancelKey,
          supersededBelow: 0,
        };
        nc.publish(names.cancelSubject(queryId), CancelBranches.encode(cancel).finish());
      },
      60_000,
    );
  }

  /** These branches no longer occupy a worker slot. */
  private freeSlots(branches: readonly number[]): void {
    let freed = 0;
    for (const b of branches) if (this.holding.delete(b)) freed++;
    if (freed > 0) this.deps.fairShare.ended(this.tenant, freed);
  }

  private input(input: QueryInput): void {
    this.perform(this.engine.on(input));
  }

  private perform(effects: QueryEffect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case "dispatch":
          this.dispatch(e.branches);
          break;
        case "cancel": {
          this.span.addEvent(e.prune ? "branches.pruned" : "branches.cancelled", {
            "ttc.branches": e.branches.length ? e.branches.join(",") : "all",
            "ttc.reason": e.reason,
          });
          const msg = CancelBranches.encode({
            queryId: this.queryId,
            branchIndexes: e.branches,
            reason: e.reason,
            prune: e.prune,
            cancelKey: this.cancelKey,
            supersededBelow: e.supersededBelow ?? 0,
          }).finish();
          this.deps.nc.publish(this.deps.names.cancelSubject(this.queryId), msg);
          break;
        }
        case "redispatch": {
          // The lost attempt's task must not come back from JetStream as well; a gang's task is left to
          // redeliver its siblings that had not started (a started one's duplicate is stopped as stale).
          const seq = this.taskSeqs.get(e.branch);
          if (seq !== undefined) this.deps.deleteTask(seq);
          this.publish([e.branch], this.chunkKeys.get(e.branch)!, e.attemptOffset);
          break;
        }
        case "verify":
          this.deps.metrics.verifierCalls.inc({ verifier: this.query.verifier });
          void this.deps.verifier.verify(e.request, this.trace).then((response) => {
            if (response.error) this.deps.metrics.verifierErrors.inc({ verifier: this.query.verifier });
            this.input({ kind: "verdict", at: now(), id: e.id, response });
          });
          break;
        case "emit":
          this.history?.event(e.event);
          this.emit(e.event);
          break;
        case "arm":
          this.arm(e.timer, e.at);
          break;
        case "dropped":
          this.deps.metrics.malformedMessages.inc({ kind: "trace" });
          this.log.debug({ reason: e.reason }, "trace chunk dropped");
          break;
        case "branch-finished":
          this.record?.branchFinished(e.chunk);
          break;
        case "stop-acked":
          this.deps.metrics.cancelToAck.observe(e.seconds);
          break;
        case "note":
          this.log[e.level](e.fields, e.message);
          break;
        case "done":
          this.finish(e.result, e.failure);
          break;
      }
    }
  }

  private arm(timer: QueryTimer, at: number): void {
    clearTimeout(this.timers.get(timer));
    const fire = () => {
      this.timers.delete(timer);
      const liveWorkers = timer === "deadline" ? this.deps.liveWorkers() : undefined;
      this.input({ kind: "timer", at: now(), timer, ...(liveWorkers !== undefined ? { liveWorkers } : {}) });
    };
    this.timers.set(timer, setTimeout(fire, Math.max(0, at - now())));
  }

  /** Hands the branches' task to the fair share; it goes to the work queue when the fleet has room for it. */
  private dispatch(branches: number[]): void {
    const chunkKey = randomBytes(taskKeyBytes);
    for (const b of branches) this.chunkKeys.set(b, chunkKey);
    this.deps.fairShare.submit(this.tenant, {
      branches: branches.length,
      // Decided while the task waited: the query's cancel already covers it, so do not queue work nobody needs.
      wanted: () => !this.engine.decided && Date.now() < this.deadlineAtMs,
      release: () => {
        for (const b of branches) this.holding.add(b);
        this.publish(branches, chunkKey);
      },
    });
  }

  private publish(branches: number[], chunkKey: Buffer, attemptOffset = 0): void {
    const { publisher, names, chunkTokens } = this.deps;
    const q = this.query;
    const first = branches[0]!;
    const task = BranchTask.encode({
      queryId: this.queryId,
      branchIndex: first,
      prompt: q.prompt,
      systemPrompt: q.systemPrompt,
      model: q.model,
      maxTokens: q.maxTokensPerBranch,
      seed: branchSeed(q.seed, first),
      querySeed: q.seed,
      answerFormat: q.answerFormatEnum,
      deadlineUnixMs: Math.floor(this.deadlineAtMs),
      traceSubject: this.traceSubject,
      chunkTokens,
      gangBranchIndexes: branches.length > 1 ? branches : [],
      gangSeeds: branches.length > 1 ? branches.map((b) => branchSeed(q.seed, b)) : [],
      chunkKey,
      cancelKey: this.cancelKey,
      attemptOffset,
    }).finish();
    void publisher
      .publish({
        data: task,
        msgID: attemptOffset === 0 ? `${this.queryId}-${first}` : `${this.queryId}-${first}-r${attemptOffset}`,
        trace: this.trace,
        deadlineAt: this.deadlineAtMs,
        wanted: () => !this.engine.decided,
      })
      .then((outcome) => {
        if (outcome.kind === "published") {
          if (branches.length === 1 && outcome.seq !== undefined) this.taskSeqs.set(first, outcome.seq);
          return;
        }
        this.freeSlots(branches);
        if (outcome.kind === "abandoned" && outcome.lastError)
          this.log.warn({ branches, err: outcome.lastError }, "task not enqueued before the deadline");
        if (outcome.kind !== "failed") return;
        this.log.warn({ branches, err: outcome.error }, "enqueue failed");
        const error = `could not enqueue branch tasks on stream ${names.taskStream}: ${outcome.error}`;
        this.input({ kind: "dispatch-failed", at: now(), branches, error });
      });
  }

  private finish(result: SolveResult, failure: QueryFailure | null): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.unroute?.();
    this.retire();
    this.freeSlots([...this.holding]);
    const error = failure ? new ServiceError(status[failure.code], failure.message) : null;
    this.count(result, error);
    // A retry gets this result; one of a run without it runs again, reusing the finished branches.
    if (this.record) void (error ? this.record.abandoned() : this.record.answered(result));
    const recorded = this.history?.ended(result, error ? { code: status[error.code], message: error.message } : null);
    this.span.setAttributes({
      "ttc.answer": result.answer,
      "ttc.stop_reason": stopReasonLabel(result.stopReason),
      "ttc.generated_tokens": result.compute?.generatedTokens ?? 0,
      "ttc.wasted_tokens": result.compute?.wastedTokens ?? 0,
      "ttc.branches_launched": result.compute?.branchesLaunched ?? 0,
    });
    if (error) this.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    this.span.end();
    const c = result.compute!;
    this.log.info(
      {
        answer: result.answer,
        stop: stopReasonLabel(result.stopReason),
        tokens: c.generatedTokens,
        wasted: c.wastedTokens,
        seconds: result.timing?.totalSeconds,
      },
      "query answered",
    );
    // The record is complete when the caller has the answer (a GetQuery right after sees the result),
    // unless writing it takes longer than an answer should wait.
    if (!recorded) return this.resolveDone(error ?? result);
    void Promise.race([recorded, new Promise((r) => setTimeout(r, recordWaitMs))]).then(() => this.resolveDone(error ?? result));
  }

  private recordStart(): void {
    if (!this.history) return;
    const q = this.query;
    const redact = this.deps.recordSettings.prompts === "redact";
    this.history.started({
      queryId: this.queryId,
      tenant: this.tenant,
      schedulerId: this.deps.schedulerId,
      request: redact ? { ...q.request, prompt: "", systemPrompt: "" } : q.request,
      promptRedacted: redact,
      policy: { name: q.policy.name, params: { ...q.policy.params } },
      verifier: q.verifier,
      seed: q.seed,
      maxBranches: q.limits.maxBranches,
      parallelism: q.limits.parallelism,
      mode: executionModeFromLabel(q.limits.mode ?? defaultExecutionMode)!,
      tokenBudget: q.limits.tokenBudget,
      maxTokensPerBranch: q.maxTokensPerBranch,
      answerFormat: q.answerFormatEnum,
      startedUnixMs: Date.now(),
    });
  }

  private count(result: SolveResult, error: ServiceError | null): void {
    const m = this.deps.metrics;
    const c = result.compute!;
    m.queries.inc({ outcome: error ? outcomeLabel(error.code) : result.answer === "" ? "no_answer" : "answered" });
    const t = result.timing!;
    m.queryDuration.observe(t.totalSeconds);
    m.queryStops.inc({
      policy: this.query.policy.name,
      stop_reason: stopReasonLabel(result.stopReason),
      answer_format: this.query.answerFormat,
    });
    // Zero means it never happened (no worker picked a branch up, no token came): not a wait of zero.
    if (t.queuedSeconds > 0) m.queryQueueWait.observe(t.queuedSeconds);
    if (t.firstBranchStartedSeconds > 0) m.queryFirstToken.observe(t.firstBranchStartedSeconds);
    m.queryGeneratedTokens.observe(c.generatedTokens);
    m.queryWastedTokens.observe(c.wastedTokens);
    m.queryBranchesLaunched.observe(c.branchesLaunched);
    m.queryBranchesPruned.observe(c.branchesPruned);
    m.generatedTokens.inc(c.generatedTokens);
    m.wastedTokens.inc(c.wastedTokens);
    m.cachedPromptTokens.inc(c.cachedPromptTokens);
    m.reusedBranches.inc(c.reusedBranches);
  }
}
