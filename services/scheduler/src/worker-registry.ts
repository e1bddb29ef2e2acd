import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { WorkerHeartbeat } from "@ttc/proto";
import { tryDecode, type WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";
import { StallMeter } from "./stall-meter.js";

/**
 * Tracks which workers are alive from their heartbeats. A heartbeat's age does not count the time
 * this process's own event loop was stalled: the heartbeats sent meanwhile are waiting to be read.
 */
export class WorkerRegistry {
  private readonly lastSeen = new Map<string, { at: number; stalledMs: number; heartbeat: WorkerHeartbeat }>();
  private sub: Subscription | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly livenessMs: number,
    private readonly metrics: SchedulerMetrics,
    private readonly stalls: StallMeter = new StallMeter(),
  ) {}

  start(nc: NatsConnection, names: WireNames): void {
    this.stalls.start();
    this.sub = nc.subscribe(names.heartbeatSubject, {
      callback: (err, msg) => {
        if (err) return;
        const hb = tryDecode(WorkerHeartbeat, msg.data);
        if (!hb || !hb.workerId) {
          this.metrics.malformedMessages.inc({ kind: "heartbeat" });
          return;
        }
        const at = Date.now();
        if (hb.ready) this.lastSeen.set(hb.workerId, { at, stalledMs: this.stalls.stalledMs(at), heartbeat: hb });
        else this.lastSeen.delete(hb.workerId);
      },
    });
  }

  stop(): void {
    this.stalls.stop();
    this.sub?.unsubscribe();
  }

  /** Workers that sent a ready heartbeat within the liveness window. */
  live(now: number = Date.now()): WorkerHeartbeat[] {
    const out: WorkerHeartbeat[] = [];
    const stalledMs = this.stalls.stalledMs(now);
    for (const [id, seen] of this.lastSeen) {
      if (now - seen.at - (stalledMs - seen.stalledMs) <= this.livenessMs) out.push(seen.heartbeat);
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
