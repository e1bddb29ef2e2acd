import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { BranchTask, CancelBranches, ChunkKind, SchedulerHeartbeat, TraceChunk, WorkerHeartbeat } from "@ttc/proto";
import {
  awaitTaskQueue,
  contextFromNatsHeaders,
  SchedulerLiveness,
  SpanStatusCode,
  traceCarrier,
  tracer,
  tryDecode,
  withSpan,
  type Context,
  type Logger,
  type TaskQueueOptions,
  type WireNames,
} from "@ttc/common";
import type { Backend } from "./backend.js";
import { BranchRun, type BranchOutcome } from "./branch-runner.js";
import { CancelRegistry } from "./cancel-registry.js";
import type { WorkerMetrics } from "./metrics.js";
import { Slots } from "./slots.js";
import { taskRefusal, type TaskLimits } from "./task-admission.js";

export interface WorkerOptions {
  workerId: string;
  capacity: number;
  heartbeatMs: number;
  queue: TaskQueueOptions;
  drainGraceMs: number;
  /** DeepConf sliding window in tokens. */
  confidenceWindow: number;
  /** What the worker takes on from one task. */
  limits: TaskLimits;
}

/**
 * A worker node: pulls branch tasks from the JetStream work queue only when it has a free slot,
 * runs them on its backend, streams trace chunks to the owning scheduler, and obeys cancels.
 */
export class Worker {
  private readonly slots: Slots;
  /** Running branches, with the task each came from (its cancel key says which cancels it obeys). */
  private readonly runs = new Map<string, { run: BranchRun; task: BranchTask; attempt: number }>();
  private readonly cancelled = new CancelRegistry();
  private readonly tasks = new Set<Promise<void>>();
  private stopping = false;
  /** Set when the drain grace ran out: everything still running is handed back. */
  private drainExpired = false;
  private cancelSub: Subscription | null = null;
  private schedulerSub: Subscription | null = null;
  private readonly schedulers: SchedulerLiveness;
  /** When this process last ran a timer or published a chunk: a long gap means it was frozen. */
  private lastAwake = performance.now();
  private awakeTimer: NodeJS.Timeout | null = null;
  /** Runs handed back on waking from a freeze: nothing more of theirs is published. */
  private readonly supersededRuns = new WeakSet<BranchRun>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private pullLoop: Promise<void> | null = null;
  /** Whether the backend's engine was ready when the pull loop last looked. */
  private engineReady = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: WireNames,
    private readonly backend: Backend,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
    private readonly options: WorkerOptions,
  ) {
    this.slots = new Slots(options.capacity);
    metrics.capacityBranches.set(options.capacity);
    // A scheduler never heard: judged once the worker has listened long enough to have heard one
    // beating at the usual 1 s, or at this worker's own pace if slower.
    this.schedulers = new SchedulerLiveness(Date.now(), Math.max(5_000, 4 * options.heartbeatMs));
  }

  /** Subscribes to cancels, starts heartbeats and the pull loop. */
  async start(): Promise<void> {
    await awaitTaskQueue(this.nc, this.names, () =>
      this.log.warn({ stream: this.names.taskStream }, "waiting for a scheduler to create the task queue"),
    );
    this.cancelSub = this.nc.subscribe(this.names.cancelWildcard, {
      callback: (err, msg) => {
        if (!err) this.onCancel(msg.data);
      },
    });
    this.schedulerSub = this.nc.subscribe(this.names.schedulerHeartbeatWildcard, {
      callback: (err, msg) => {
        if (err) return;
        const hb = tryDecode(SchedulerHeartbeat, msg.data);
        // A heartbeat speaks only for the scheduler its subject names.
        if (!hb || hb.schedulerId !== this.names.schedulerHeartbeatSender(msg.subject)) {
          this.metrics.malformedMessages.inc({ kind: "scheduler_heartbeat" });
          return;
        }
        this.schedulers.beat(hb.schedulerId, hb.intervalMs, Date.now(), hb.workerLivenessMs);
      },
    });
    await this.nc.flush();
    this.heartbeat();
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat();
      this.stopOrphans();
    }, this.options.heartbeatMs);
    this.awakeTimer = setInterval(() => this.noticeFreeze(), 100);
    this.pullLoop = this.pull();
  }

  /**
   * Stops pulling, lets in-flight branches finish for up to the grace period, then hands the rest
   * back to the queue (nak) so another worker redelivers them at once.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    this.heartbeat();
    const all = Promise.all([...this.tasks]);
    const grace = new AbortController();
    const graceful = await Promise.race([
      all.then(() => true),
      sleep(this.options.drainGraceMs, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort();
    if (!graceful) {
      // Siblings still waiting for a lane start, see this, and hand back at once.
      this.drainExpired = true;
      for (const { run } of this.runs.values()) run.stop({ reason: "worker draining", handBack: true });
      await all;
    }
    // Freed slots wake the pull loop, which sees `stopping` and ends (handing back anything it just pulled).
    await this.pullLoop;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.cancelSub?.unsubscribe();
    this.schedulerSub?.unsubscribe();
    if (this.awakeTimer) clearInterval(this.awakeTimer);
    await this.backend.close();
  }

  private async pull(): Promise<void> {
    const js = jetstream(this.nc);
    const consumer = await js.consumers.get(this.names.taskStream, this.names.taskConsumer);
    while (!this.stopping) {
      await this.slots.acquire();
      if (this.stopping) {
        this.slots.release();
        break;
      }
      if (!this.backendReady()) {
        // The engine is unreachable: take no task until it answers again.
        this.slots.release();
        await sleep(Math.min(250, this.options.heartbeatMs));
        continue;
      }
      let msg: JsMsg | null = null;
      try {
        msg = await consumer.next({ expires: 1000 });
      } catch (err) {
        this.log.warn({ err: String(err) }, "pulling a task failed; retrying");
        await sleep(250);
      }
      if (!msg) {
        this.slots.release();
        continue;
      }
      if (this.stopping) {
        msg.nak();
        this.slots.release();
        break;
      }
      if (!this.backendReady()) {
        // The engine went away while we waited for this task: hand it to a worker that can run it.
        msg.nak();
        this.slots.release();
        continue;
      }
      const task = this.handle(msg).finally(() => {
        this.slots.release();
        this.tasks.delete(task);
      });
      this.tasks.add(task);
    }
  }

  /** The backend's readiness; a change is logged and heartbeated at once. */
  private backendReady(): boolean {
    const ready = this.backend.ready?.() ?? true;
    this.metrics.engineReady.set(ready ? 1 : 0);
    if (ready !== this.engineReady) {
      this.engineReady = ready;
      if (ready) this.log.info({ backend: this.backend.name }, "engine ready: pulling tasks again");
      else this.log.warn({ backend: this.backend.name }, "engine not ready: pulling paused");
      this.heartbeat();
    }
    return ready;
  }

  private async handle(msg: JsMsg): Promise<void> {
    const task = tryDecode(BranchTask, msg.data);
    if (!task || !task.queryId || !task.traceSubject) {
      this.metrics.malformedMessages.inc({ kind: "task" });
      this.metrics.tasksDropped.inc({ reason: "malformed" });
      this.terminate(msg, "malformed task");
      return;
    }
    const now = Date.now();
    const refusal = taskRefusal(task, this.options.limits, this.names, now);
    if (refusal) {
      this.metrics.tasksDropped.inc({ reason: "refused" });
      this.log.warn({ queryId: task.queryId.slice(0, 64), refusal }, "task refused");
      this.terminate(msg, `refused: ${refusal}`);
      return;
    }
    if (task.deadlineUnixMs <= now) {
      this.metrics.tasksDropped.inc({ reason: "expired" });
      this.terminate(msg, "deadline passed");
      return;
    }
    if (this.orphaned(task, now)) {
      this.metrics.tasksDropped.inc({ reason: "orphaned" });
      this.terminate(msg, "its scheduler is gone");
      return;
    }
    const all = gangMembers(task);
    const members = all.filter((t) => !this.cancelled.has(t.queryId, t.branchIndex, t.cancelKey, now));
    // Every branch dropped is reported, so the scheduler never waits for one that will not run (a
    // cancel can be forged, and a branch nobody reports would hold its query to the deadline).
    const attempt = task.attemptOffset + msg.info.deliveryCount;
    for (const t of all) if (!members.includes(t)) this.reportDropped(t, attempt, "cancelled before it started");
    if (members.length === 0) {
      this.metrics.tasksDropped.inc({ reason: "cancelled" });
      this.terminate(msg, "cancelled");
      return;
    }
    // Tell JetStream the task is alive so it is not redelivered while we generate.
    const keepAlive = setInterval(() => msg.working(), Math.max(100, (this.options.queue.ackWaitSeconds * 1000) / 3));
    // A gang runs its siblings side by side on the free slots it can take now (never waiting for
    // more: two gangs each waiting for the other's slots would deadlock), the rest as those end.
    let extra = 0;
    while (extra < members.length - 1 && this.slots.tryAcquire()) extra++;
    const outcomes: BranchOutcome[] = [];
    let next = 0;
    const parent = contextFromNatsHeaders(msg.headers);
    const lane = async () => {
      while (next < members.length) outcomes.push(await this.runBranch(members[next++]!, attempt, parent));
    };
    try {
      await Promise.all(Array.from({ length: extra + 1 }, lane));
    } finally {
      clearInterval(keepAlive);
      for (let i = 0; i < extra; i++) this.slots.release();
    }
    if (outcomes.some((o) => o.kind === "handed_back")) msg.nak();
    else if (outcomes.every((o) => o.kind === "failed"))
      this.terminate(msg, outcomes.map((o) => (o.kind === "failed" ? o.error : "")).join("; "));
    else msg.ack();
  }

  /** Tells the task's scheduler that this branch will not run here: its one and final chunk. */
  private reportDropped(task: BranchTask, attempt: number, reason: string): void {
    const chunk = TraceChunk.create({
      queryId: task.queryId,
      branchIndex: task.branchIndex,
      workerId: this.options.workerId,
      attempt,
      seq: 0,
      kind: ChunkKind.CHUNK_KIND_CANCELLED,
      finishReason: reason,
      chunkKey: task.chunkKey,
    });
    this.nc.publish(task.traceSubject, TraceChunk.encode(chunk).finish());
  }

  /** Runs one branch of a task to its end, with its deadline, and records its outcome. */
  private async runBranch(task: BranchTask, attempt: number, parent: Context): Promise<BranchOutcome> {
    const key = runKey(task.queryId, task.branchIndex);
    // One span per branch attempt, a child of the query's span in the scheduler (a no-op when tracing is off).
    const span = tracer().startSpan(
      "ttc.branch.attempt",
      {
        attributes: {
          "ttc.query_id": task.queryId.slice(0, 64),
          "ttc.branch": task.branchIndex,
          "ttc.attempt": attempt,
          "ttc.worker_id": this.options.workerId,
          "ttc.backend": this.backend.name,
        },
      },
      parent,
    );
    const traceHeaders = traceCarrier(withSpan(span, parent));
    const run = new BranchRun({
      task,
      attempt,
      workerId: this.options.workerId,
      backend: this.backend,
      publish: (chunk) => {
        // Checked before every chunk: the engine's stream kept flowing while this process was frozen, and
        // the first thing it does on waking may be to publish a burst of an attempt already replaced.
        this.noticeFreeze();
        if (this.supersededRuns.has(run)) return;
        if (
          chunk.kind === ChunkKind.CHUNK_KIND_FINISHED ||
          chunk.kind === ChunkKind.CHUNK_KIND_CANCELLED ||
          chunk.kind === ChunkKind.CHUNK_KIND_FAILED
        ) {
          this.metrics.cachedPromptTokens.inc(chunk.cachedPromptTokens);
        }
        this.nc.publish(task.traceSubject, TraceChunk.encode(chunk).finish());
      },
      onTokens: (n) => this.metrics.generatedTokens.inc(n),
      confidenceWindow: this.options.confidenceWindow,
      traceHeaders,
    });
    this.runs.set(key, { run, task, attempt });
    this.metrics.activeBranches.set(this.runs.size);
    // A cancel that arrived while this sibling waited for a lane stops it before it starts.
    if (this.cancelled.has(task.queryId, task.branchIndex, task.cancelKey, Date.now())) run.stop({ reason: "cancelled", handBack: false });
    if (this.stopping && this.drainExpired) run.stop({ reason: "worker draining", handBack: true });
    const msLeft = task.deadlineUnixMs - Date.now();
    const deadline =
      task.deadlineUnixMs > 0 ? setTimeout(() => run.stop({ reason: "deadline passed", handBack: false }), Math.max(0, msLeft)) : null;
    let outcome: BranchOutcome;
    try {
      outcome = await run.run();
    } finally {
      if (deadline) clearTimeout(deadline);
      this.runs.delete(key);
      this.metrics.activeBranches.set(this.runs.size);
    }
    this.metrics.branches.inc({ outcome: outcome.kind });
    span.setAttributes({ "ttc.outcome": outcome.kind, "ttc.tokens": outcome.tokens });
    if (outcome.kind === "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
    span.end();
    if (outcome.kind === "cancelled") {
      this.metrics.cancelsObeyed.inc();
      this.metrics.cancelToStop.observe(outcome.cancelToStopSeconds);
      this.metrics.tokensAfterCancel.observe(outcome.tokensAfterCancel);
    }
    this.log.debug({ queryId: task.queryId, branch: task.branchIndex, outcome }, "branch ended");
    return outcome;
  }

  private onCancel(data: Uint8Array): void {
    const cancel = tryDecode(CancelBranches, data);
    if (!cancel || !cancel.queryId) {
      this.metrics.malformedMessages.inc({ kind: "cancel" });
      return;
    }
    const now = Date.now();
    if (cancel.supersededBelow > 0) {
      // Only attempts a re-dispatch replaced: the branch itself goes on elsewhere, so nothing is remembered.
      for (const { run, task, attempt } of this.runs.values())
        if (
          task.queryId === cancel.queryId &&
          cancel.branchIndexes.includes(task.branchIndex) &&
          attempt < cancel.supersededBelow &&
          Buffer.from(task.cancelKey).equals(Buffer.from(cancel.cancelKey))
        )
          run.stop({ reason: "superseded by a newer attempt", handBack: false });
      return;
    }
    const targets = cancel.branchIndexes.length > 0 ? cancel.branchIndexes : undefined;
    if (targets) for (const b of targets) this.cancelled.add(cancel.queryId, b, cancel.cancelKey, now);
    else this.cancelled.add(cancel.queryId, undefined, cancel.cancelKey, now);
    for (const { run, task } of this.runs.values()) {
      if (
        task.queryId === cancel.queryId &&
        (!targets || targets.includes(task.branchIndex)) &&
        Buffer.from(task.cancelKey).equals(Buffer.from(cancel.cancelKey))
      ) {
        run.stop({ reason: cancel.reason || (cancel.prune ? "pruned" : "cancelled"), handBack: false });
      }
    }
  }

  /**
   * After this process was frozen (SIGSTOP, a VM pause, a stalled host) for longer than a scheduler
   * waits for a worker's heartbeat, that scheduler has dispatched the branches again: their attempts
   * here are superseded. They are handed back at once (a task the scheduler already replaced is gone
   * from the stream; one it did not replace is redelivered) instead of streaming a burst nobody wants.
   */
  private noticeFreeze(): void {
    const now = performance.now();
    const frozenMs = now - this.lastAwake;
    this.lastAwake = now;
    if (frozenMs < 250) return;
    for (const { run, task } of this.runs.values()) {
      const owner = this.names.traceOwner(task.traceSubject);
      if (run.stopped || owner === undefined || frozenMs <= this.schedulers.workerLivenessMs(owner)) continue;
      this.metrics.supersededStopped.inc();
      this.supersededRuns.add(run);
      this.log.warn(
        { queryId: task.queryId, branch: task.branchIndex, frozenMs: Math.round(frozenMs) },
        "woke from a freeze longer than the scheduler waits: attempt handed back",
      );
      run.stop({ reason: "frozen past the scheduler's wait: superseded", handBack: true });
    }
  }

  /** True when the scheduler that owns the task's query has stopped beating: nobody reads its chunks. */
  private orphaned(task: BranchTask, now: number): boolean {
    const owner = this.names.traceOwner(task.traceSubject);
    return owner !== undefined && this.schedulers.gone(owner, now);
  }

  /** Stops every running branch whose scheduler is gone: its tokens are counted here, and nobody else would stop it. */
  private stopOrphans(): void {
    const now = Date.now();
    for (const { run, task } of this.runs.values()) {
      if (run.stopped || !this.orphaned(task, now)) continue;
      this.metrics.orphansStopped.inc();
      this.log.warn({ queryId: task.queryId, branch: task.branchIndex }, "stopping a branch whose scheduler is gone");
      run.stop({ reason: "its scheduler is gone", handBack: false });
    }
    this.schedulers.forgetOlderThan(10 * 60_000, now);
  }

  /**
   * Ends a task for good, never to be redelivered. A reason (`+TERM reason`) is understood only by
   * nats-server 2.10 and later: 2.9, which Debian ships, takes it for no answer at all and redelivers
   * the task after the ack wait, up to max-deliver. So the reason goes to the log, and the server gets
   * the plain `+TERM` every version honours.
   */
  private terminate(msg: JsMsg, reason: string): void {
    this.log.debug({ seq: msg.seq, reason: reason.slice(0, 200) }, "task terminated");
    msg.term();
  }

  private heartbeat(): void {
    const hb = WorkerHeartbeat.encode({
      workerId: this.options.workerId,
      backend: this.backend.name,
      capacity: this.options.capacity,
      active: this.runs.size,
      ready: !this.stopping && (this.backend.ready?.() ?? true),
      sentUnixMs: Date.now(),
    }).finish();
    this.nc.publish(this.names.heartbeatSubject(this.options.workerId), hb);
  }
}

/** The branches a task carries: itself, or each sibling of its gang with its own index and seed. */
export function gangMembers(task: BranchTask): BranchTask[] {
  if (task.gangBranchIndexes.length === 0) return [task];
  return task.gangBranchIndexes.map((branchIndex, i) => ({
    ...task,
    branchIndex,
    seed: task.gangSeeds[i] ?? task.seed,
    gangBranchIndexes: [],
    gangSeeds: [],
  }));
}

function runKey(queryId: string, branch: number): string {
  return `${queryId}/${branch}`;
}
