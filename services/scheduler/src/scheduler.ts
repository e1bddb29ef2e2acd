import { status } from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/nats-core";
import type { SolveEvent, SolveRequest, SolveResult } from "@ttc/proto";
import type { Logger, WireNames } from "@ttc/common";
import type { SchedulerConfig } from "./config.js";
import { outcomeLabel, ServiceError, toServiceError } from "./errors.js";
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
   */
  async solve(
    request: SolveRequest,
    deadline: number,
    signal: AbortSignal,
    emit: (event: SolveEvent) => void,
    /** Whose query it is: the caller's token's tenant. */
    tenant: string,
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
      run = this.start(query, deadline, emit, tenant);
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
  private start(query: ResolvedQuery, deadline: number, emit: (event: SolveEvent) => void, tenant: string): QueryRun {
    const { config } = this.deps;
    // A drain that began while the call waited for its turn refuses it like one that came later.
    if (this.draining) throw new ServiceError(status.UNAVAILABLE, "the scheduler is draining (shutting down); retry on another replica");
    const now = Date.now();
    const callerBudget = Number.isFinite(deadline) ? deadline - now : config.defaults.deadlineMs;
    if (callerBudget <= 0) throw new ServiceError(status.DEADLINE_EXCEEDED, "the call's deadline had already passed when it arrived");
    const budget = Math.min(callerBudget, config.limits.maxDeadlineMs);
    return new QueryRun(this.runDeps, query, now + budget - answerMarginMs(budget), emit, tenant);
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
