import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { SchedulerHeartbeat } from "@ttc/proto";
import { SchedulerLiveness, tryDecode, type WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";

/**
 * Which other scheduler replicas are alive, from the heartbeats they send for the workers: a retried
 * request whose owner fell silent is resumed here instead of waited for.
 */
export class SchedulerPeers {
  private readonly liveness: SchedulerLiveness;
  private sub: Subscription | null = null;

  constructor(heartbeatMs: number) {
    // A peer never heard from is taken as gone only after a few of its intervals (this one just started).
    this.liveness = new SchedulerLiveness(Date.now(), Math.max(2_000, 3 * heartbeatMs));
  }

  start(nc: NatsConnection, names: WireNames, metrics: SchedulerMetrics): void {
    this.sub = nc.subscribe(names.schedulerHeartbeatWildcard, {
      callback: (err, msg) => {
        if (err) return;
        const hb = tryDecode(SchedulerHeartbeat, msg.data);
        if (!hb || !hb.schedulerId || hb.schedulerId !== names.schedulerHeartbeatSender(msg.subject)) {
          metrics.malformedMessages.inc({ kind: "heartbeat" });
          return;
        }
        this.liveness.beat(hb.schedulerId, hb.intervalMs, Date.now(), hb.workerLivenessMs);
      },
    });
  }

  gone(schedulerId: string): boolean {
    this.liveness.forgetOlderThan(3_600_000, Date.now());
    return this.liveness.gone(schedulerId, Date.now());
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}
