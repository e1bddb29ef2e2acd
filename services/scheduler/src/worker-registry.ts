import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { WorkerHeartbeat } from "@ttc/proto";
import { tryDecode, type WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";

/** Tracks which workers are alive from their heartbeats. */
export class WorkerRegistry {
  private readonly lastSeen = new Map<string, { at: number; heartbeat: WorkerHeartbeat }>();
  private sub: Subscription | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly livenessMs: number,
    private readonly metrics: SchedulerMetrics,
  ) {}

  start(nc: NatsConnection, names: WireNames): void {
    this.sub = nc.subscribe(names.heartbeatSubject, {
      callback: (err, msg) => {
        if (err) return;
        const hb = tryDecode(WorkerHeartbeat, msg.data);
        if (!hb || !hb.workerId) {
          this.metrics.malformedMessages.inc({ kind: "heartbeat" });
          return;
        }
        if (hb.ready) this.lastSeen.set(hb.workerId, { at: Date.now(), heartbeat: hb });
        else this.lastSeen.delete(hb.workerId);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /** Workers that sent a ready heartbeat within the liveness window. */
  live(now: number = Date.now()): WorkerHeartbeat[] {
    const out: WorkerHeartbeat[] = [];
    for (const [id, seen] of this.lastSeen) {
      if (now - seen.at <= this.livenessMs) out.push(seen.heartbeat);
      else this.lastSeen.delete(id);
    }
    this.metrics.liveWorkers.set(out.length);
    return out;
  }

  /** True once the scheduler has listened long enough that silence means "no workers". */
  warmedUp(now: number = Date.now()): boolean {
    return now - this.startedAt > this.livenessMs;
  }
}
