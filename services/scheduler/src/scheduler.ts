import { status } from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/nats-core";
import { RequestRecord_State, type SolveEvent, type SolveRequest, type SolveResult } from "@ttc/proto";
import { ROOT_CONTEXT, type Context, type Logger, type WireNames } from "@ttc/common";
import type { SchedulerConfig } from "./config.js";
import { invalidArgument, outcomeLabel, ServiceError, toServiceError } from "./errors.js";
import type { SchedulerMetrics } from "./metrics.js";
import { QueryRun, type QueryRunDeps } from "./query-run.js";
import { resolveRequest, type ResolvedQuery } from "./resolve-request.js";
import type { TaskPublisher } from "./task-publisher.js";
import type { StartPacer } from "./start-pacer.js";
import type { TenantQuotas } from "./tenants.js";
import type { FairShare } from "./fair-share.js";
import type { TraceRouter } from "./trace-router.js";
import type { VerifierClient } from "./verifier-client.js";
import type { WorkerRegistry } from "./worker-registry.js";
import { requestFingerprint, requestKey, type RequestRecords, type StoredRequest } from "./request-records.js";
import { planRetry } from "./request-retry.js";
import type { QueryRecords } from "./query-records.js";
import type { SchedulerPeers } from "./scheduler-peers.js";

/** The longest request_id accepted, in bytes (a UUID is 36). */
const maxRequestIdBytes = 128;
/** How often a call waiting for a request another scheduler runs looks at its record again. */
const waitPollMs = 200;

/**
 * A request with a request_id being looked up or run on this scheduler: later calls with the same id
 * join it. Its run stops only when no caller has been attached for the grace (`abandon`).
 */
interface IdentifiedRequest {
  readonly fingerprint: Buffer;
  result: Promise<SolveResult>;
  callers: number;
  readonly abandon: AbortController;
  graceTimer: NodeJS.Timeout | undefined;
}

/** A run of a request with a request_id: where it records itself, and what it reuses. */
interface RecordedRun {
  key: string;
  fingerprint: Buffer;
  stored: StoredRequest | undefined;
}

/** Time kept back from the caller's deadline so the answer reaches them before it expires. */
function answerMarginMs(budgetMs: number): number {
  return Math.min(250, Math.max(50, budgetMs * 0.1));
}

/**
 * Admission and query lifecycle, independent of gRPC: validates, admits, runs, and tracks
 * in-flight queries so a drain can stop them.
 */
export class Scheduler {
  private readonly running = new Set<QueryRun>();
  /** Requests with a request_id on this scheduler, by record key. */
  private readonly identified = new Map<string, IdentifiedRequest>();
  /** Admitted calls waiting for their turn to start (the StartPacer's). */
  private waiting = 0;
  private draining = false;
  private natsConnected = true;
  /** What every query run shares, made once. */
  private readonly runDeps: QueryRunDeps;

  constructor(
    private readonly deps: {
      nc: NatsConnection;
      publisher: TaskPublisher;
      traces: TraceRouter;
      starts: StartPacer;
      quotas: TenantQuotas;
      fairShare: FairShare;
      /** Removes a task from the stream by sequence (best effort). */
      deleteTask(seq: number): void;
      names: WireNames;
      config: SchedulerConfig;
      verifier: VerifierClient;
      metrics: SchedulerMetrics;
      workers: WorkerRegistry;
      /** The durable records of requests with a request_id. */
      records: RequestRecords;
      /** Other scheduler replicas' liveness. */
      peers: SchedulerPeers;
      /** Where each query's record goes; undefined when TTC_QUERY_RECORDS=off. */
      queryRecords: QueryRecords | undefined;
      log: Logger;
    },
  ) {
    const { config, workers } = deps;
    this.runDeps = {
      nc: deps.nc,
      publisher: deps.publisher,
      fairShare: deps.fairShare,
      charge: (tenant, tokens) => this.charge(tenant, tokens),
      deleteTask: deps.deleteTask,
      traces: deps.traces,
      names: deps.names,
      schedulerId: config.schedulerId,
      verifier: deps.verifier,
      metrics: deps.metrics,
      log: deps.log,
      chunkTokens: config.chunkTokens,
      gangSize: config.gangSize,
      cancelSettleMs: config.cancelSettleMs,
      liveWorkers: () => workers.live().length,
      queryRecords: deps.queryRecords,
      recordSettings: { traceChars: config.queryRecords?.traceChars ?? 0, prompts: config.queryRecords?.prompts ?? "keep" },
    };
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Charges a tenant's generated tokens; when that empties its budget, its running queries stop and answer with what they have. */
  private charge(tenant: string, tokens: number): void {
    this.deps.fairShare.charge(tenant, tokens);
    if (!this.deps.quotas.charge(tenant, tokens)) return;
    this.deps.log.info({ tenant }, "tenant's token budget spent: stopping its running queries");
    for (const run of this.running) if (run.tenant === tenant) run.interrupt("tenant_budget");
  }

  /** A worker fell silent: every running query dispatches again the branches it was running. */
  workerLost(workerId: string): void {
    for (const run of this.running) run.workerLost(workerId);
  }

  setNatsConnected(connected: boolean): void {
    this.natsConnected = connected;
  }

  /**
   * Runs one query. `deadline` is the caller's absolute deadline (ms since epoch, Infinity for none).
   * `signal` aborts when the caller cancels. Rejects with a ServiceError.
   *
   * With a request_id, the call gets what the request's record says (see `planRetry`): the stored
   * result, the run of it already going here (joined), a wait for the replica running it, or a run
   * that reuses the branches an earlier run finished.
   */
  async solve(
    request: SolveRequest,
    deadline: number,
    signal: AbortSignal,
    emit: (event: SolveEvent) => void,
    /** Whose query it is: the caller's token's tenant. */
    tenant: string,
    /** The caller's trace context (W3C `traceparent` of the call): the query's span continues it. */
    trace: Context = ROOT_CONTEXT,
  ): Promise<SolveResult> {
    if (!request.requestId) return this.runQuery(request, deadline, signal, emit, tenant, undefined, trace);
    const { metrics } = this.deps;
    if (Buffer.byteLength(request.requestId) > maxRequestIdBytes) {
      metrics.queries.inc({ outcome: "invalid_argument" });
      throw invalidArgument("request_id", `must be at most ${maxRequestIdBytes} bytes (a UUID is best)`);
    }
    const key = requestKey(tenant, request.requestId);
    const fingerprint = requestFingerprint(request);
    let entry = this.identified.get(key);
    if (entry) {
      if (!entry.fingerprint.equals(fingerprint)) throw this.conflict(request.requestId);
      metrics.retriedRequests.inc({ outcome: "joined" });
    } else {
      const abandon = new AbortController();
      const result = this.runIdentified(key, fingerprint, abandon.signal, request, deadline, emit, tenant, trace).finally(() => {
        clearTimeout(created.graceTimer);
        if (this.identified.get(key) === created) this.identified.delete(key);
      });
      const created: IdentifiedRequest = { fingerprint, callers: 0, abandon, graceTimer: undefined, result };
      // Callers come and go; the outcome is theirs to report, and must not be unhandled when none is left.
      created.result.catch(() => {});
      this.identified.set(key, created);
      entry = created;
    }
    return this.attach(key, entry, signal);
  }

  /** The caller waits for the request's outcome; when the last caller leaves, the request stops after the grace. */
  private attach(key: string, entry: IdentifiedRequest, signal: AbortSignal): Promise<SolveResult> {
    entry.callers++;
    clearTimeout(entry.graceTimer);
    return new Promise((resolve, reject) => {
      const leave = () => {
        reject(new ServiceError(status.CANCELLED, "the call was cancelled"));
        entry.callers--;
        if (entry.callers === 0) this.abandonLater(key, entry);
      };
      if (signal.aborted) return leave();
      signal.addEventListener("abort", leave, { once: true });
      entry.result.then(
        (result) => {
          signal.removeEventListener("abort", leave);
          resolve(result);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(err as Error);
        },
      );
    });
  }

  /**
   * No caller is left: a dropped connection looks the same as a cancel, so the request keeps running
   * for the grace, long enough for a retry to join it. A call on another replica that said it waits
   * for it keeps it running to the end.
   */
  private abandonLater(key: string, entry: IdentifiedRequest): void {
    const leftAt = Date.now();
    entry.graceTimer = setTimeout(() => {
      void this.deps.records.waitingSince(key).then((since) => {
        if (entry.callers > 0 || since >= leftAt - this.deps.config.requestAttachGraceMs) return;
        entry.abandon.abort();
      });
    }, this.deps.config.requestAttachGraceMs);
  }

  private conflict(requestId: string): ServiceError {
    this.deps.metrics.retriedRequests.inc({ outcome: "conflict" });
    this.deps.metrics.queries.inc({ outcome: "invalid_argument" });
    return invalidArgument(
      "request_id",
      `"${requestId.slice(0, 64)}" was already used for a different request in the last ${Math.round(this.deps.config.requestRecordTtlMs / 1000)} s; a retry must send the same request, a new request a new request_id`,
    );
  }

  /** Looks the request up in its record and does what the record says, until it has an outcome. */
  private async runIdentified(
    key: string,
    fingerprint: Buffer,
    /** Aborts when no caller has been attached for the grace. */
    abandoned: AbortSignal,
    request: SolveRequest,
    deadline: number,
    emit: (event: SolveEvent) => void,
    tenant: string,
    trace: Context,
  ): Promise<SolveResult> {
    const { records, peers, metrics, config, log } = this.deps;
    let saidWaiting = false;
    for (;;) {
      let stored: StoredRequest | undefined;
      try {
        stored = await records.load(key);
      } catch (err) {
        // Unreadable (NATS trouble): run it; a duplicate run costs compute, a refusal the caller's answer.
        metrics.requestRecordErrors.inc({ op: "load" });
        log.warn({ err: (err as Error).message }, "request record not readable: running the request anew");
      }
      const plan = planRetry(stored?.record, fingerprint, config.schedulerId, (id) => peers.gone(id));
      switch (plan.kind) {
        case "conflict":
          throw this.conflict(request.requestId);
        case "answered":
          metrics.retriedRequests.inc({ outcome: "answered" });
          metrics.queries.inc({ outcome: plan.result.answer === "" ? "no_answer" : "answered" });
          return plan.result;
        case "wait": {
          if (abandoned.aborted) throw new ServiceError(status.CANCELLED, "the call was cancelled");
          if (this.draining)
            throw new ServiceError(status.UNAVAILABLE, "the scheduler is draining (shutting down); retry on another replica");
          const left = deadline - Date.now();
          if (left <= 0)
            throw new ServiceError(
              status.DEADLINE_EXCEEDED,
              `the request is still running on scheduler ${plan.owner}; call again with the same request_id for its answer`,
            );
          if (!saidWaiting) {
            saidWaiting = true;
            void records.markWaiting(key);
          }
          await new Promise((r) => setTimeout(r, Math.min(waitPollMs, left)));
          continue;
        }
        case "resume":
          metrics.retriedRequests.inc({ outcome: "resumed" });
          return this.runQuery(request, deadline, abandoned, emit, tenant, { key, fingerprint, stored }, trace);
        case "new":
          return this.runQuery(request, deadline, abandoned, emit, tenant, { key, fingerprint, stored: undefined }, trace);
      }
    }
  }

  /** Admits and runs one query; with `recorded`, it records itself and reuses what the record holds. */
  private async runQuery(
    request: SolveRequest,
    deadline: number,
    signal: AbortSignal,
    emit: (event: SolveEvent) => void,
    tenant: string,
    recorded: RecordedRun | undefined,
    trace: Context,
  ): Promise<SolveResult> {
    const { metrics, starts, quotas } = this.deps;
    let run: QueryRun;
    let release = () => {};
    try {
      // Only the checks come before the turn: a thousand calls can arrive in one read of the socket,
      // and grpc-js hands them over in one task, so what each costs here it costs a thousand times
      // without yielding. Setting the query up waits for its turn.
      const query = this.admit(request);
      quotas.permit(tenant, query);
      release = quotas.take(tenant, query.limits.maxBranches);
      this.waiting++;
      try {
        await starts.turn();
      } finally {
        this.waiting--;
      }
      if (signal.aborted) throw new ServiceError(status.CANCELLED, "the call was cancelled before its query started");
      run = this.start(query, deadline, emit, tenant, recorded, trace);
    } catch (err) {
      release();
      const error = toServiceError(err);
      metrics.queries.inc({ outcome: outcomeLabel(error.code) });
      throw error;
    }
    this.running.add(run);
    metrics.queriesInFlight.set(this.running.size);
    const onAbort = () => run.interrupt("cancelled");
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await run.run();
    } catch (err) {
      const error = toServiceError(err);
      // Stopped by the tenant's budget before it had an answer: say when the budget will take a query again.
      const waitMs = error.code === status.RESOURCE_EXHAUSTED ? quotas.budgetWaitMs(tenant) : 0;
      throw waitMs > 0
        ? new ServiceError(error.code, `${error.message} (in ${(waitMs / 1000).toFixed(1)} s)`, { retryDelayMs: waitMs })
        : error;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.running.delete(run);
      metrics.queriesInFlight.set(this.running.size);
      release();
    }
  }

  /**
   * Refuses a call the scheduler cannot take now or a request it would never run; the query it asks
   * for otherwise. Queries waiting for their turn count against the concurrency limit.
   */
  private admit(request: SolveRequest): ResolvedQuery {
    const { config, workers } = this.deps;
    if (this.draining) throw new ServiceError(status.UNAVAILABLE, "the scheduler is draining (shutting down); retry on another replica");
    if (!this.natsConnected) throw new ServiceError(status.UNAVAILABLE, "the scheduler has lost its NATS connection; retry shortly");
    const query = resolveRequest(request, config);
    if (this.running.size + this.waiting >= config.limits.maxConcurrentQueries) {
      throw new ServiceError(
        status.RESOURCE_EXHAUSTED,
        `the scheduler is at its limit of ${config.limits.maxConcurrentQueries} concurrent queries; retry with backoff or add scheduler replicas`,
      );
    }
    if (workers.warmedUp() && workers.live().length === 0) {
      throw new ServiceError(
        status.UNAVAILABLE,
        `no workers are connected: no ready heartbeat on ${this.deps.names.heartbeatWildcard} in the last ${config.workerLivenessMs} ms; start workers or check their NATS connection`,
      );
    }
    return query;
  }

  /** Makes the query's run, on its turn. */
  private start(
    query: ResolvedQuery,
    deadline: number,
    emit: (event: SolveEvent) => void,
    tenant: string,
    recorded: RecordedRun | undefined,
    trace: Context,
  ): QueryRun {
    const { config } = this.deps;
    // A drain that began while the call waited for its turn refuses it like one that came later.
    if (this.draining) throw new ServiceError(status.UNAVAILABLE, "the scheduler is draining (shutting down); retry on another replica");
    const now = Date.now();
    const callerBudget = Number.isFinite(deadline) ? deadline - now : config.defaults.deadlineMs;
    if (callerBudget <= 0) throw new ServiceError(status.DEADLINE_EXCEEDED, "the call's deadline had already passed when it arrived");
    const budget = Math.min(callerBudget, config.limits.maxDeadlineMs);
    const deadlineAt = now + budget - answerMarginMs(budget);
    if (!recorded) return new QueryRun(this.runDeps, query, deadlineAt, emit, tenant, trace);
    const { key, fingerprint, stored } = recorded;
    // A resumed run samples with the earlier run's seed: its reused branches and new ones are one sample.
    const seed = stored ? stored.record.seed : query.seed;
    return new QueryRun(this.runDeps, { ...query, seed }, deadlineAt, emit, tenant, trace, {
      restored: stored?.branches,
      record: (queryId) =>
        this.deps.records.writer(key, {
          state: RequestRecord_State.STATE_RUNNING,
          fingerprint,
          seed,
          ownerSchedulerId: this.deps.config.schedulerId,
          queryId,
          finishedBranches: [...(stored?.branches.keys() ?? [])],
          result: undefined,
          updatedUnixMs: 0,
        }),
    });
  }

  /**
   * Stops admitting queries; in-flight ones may finish for up to `graceMs`, then are interrupted
   * and answered with what they have.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const run of this.running) run.interrupt("draining");
    while (this.running.size > 0 || this.waiting > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
