import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { WorkerHeartbeat } from "@ttc/proto";
import { tryDecode, type WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";
import { StallMeter } from "./stall-meter.js";

/** A worker's largest capacity (`TTC_WORKER_CAPACITY`'s bound): a heartbeat claiming more is counted as this. */
const maxWorkerCapacity = 1024;

/**
 * Tracks which workers are alive from their heartbeats. A heartbeat's age does not count the time
 * this process's own event loop was stalled: the heartbeats sent meanwhile are waiting to be read.
 */
export class WorkerRegistry {
  private readonly lastSeen = new Map<string, { at: number; stalledMs: number; heartbeat: WorkerHeartbeat }>();
  private sub: Subscription | null = null;
  private readonly startedAt = Date.now();
  private joined: () => void = () => {};
  private lost: (workerId: string) => void = () => {};
  private sweep: NodeJS.Timeout | null = null;

  constructor(
    private readonly livenessMs: number,
    private readonly metrics: SchedulerMetrics,
    private readonly stalls: StallMeter = new StallMeter(),
  ) {}

  start(nc: NatsConnection, names: WireNames): void {
    this.stalls.start();
    // Looks often enough that a silent worker is found within a quarter of the window past it.
    this.sweep = setInterval(() => this.live(), Math.max(50, this.livenessMs / 4));
    this.sub = nc.subscribe(names.heartbeatWildcard, {
      callback: (err, msg) => {
        if (err) return;
        const hb = tryDecode(WorkerHeartbeat, msg.data);
        // A heartbeat speaks only for the worker its subject names: NATS permissions bind that subject to the worker's credentials.
        if (!hb || !hb.workerId || hb.workerId !== names.heartbeatSender(msg.subject)) {
          this.metrics.malformedMessages.inc({ kind: "heartbeat" });
          return;
        }
        const at = Date.now();
        if (!hb.ready) return void this.lastSeen.delete(hb.workerId);
        const known = this.lastSeen.has(hb.workerId);
        this.lastSeen.set(hb.workerId, { at, stalledMs: this.stalls.stalledMs(at), heartbeat: hb });
        if (!known) this.joined();
      },
    });
  }

  stop(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.stalls.stop();
    this.sub?.unsubscribe();
  }

  /** Workers that sent a ready heartbeat within the liveness window. */
  live(now: number = Date.now()): WorkerHeartbeat[] {
    const out: WorkerHeartbeat[] = [];
    const stalledMs = this.stalls.stalledMs(now);
    for (const [id, seen] of this.lastSeen) {
      if (now - seen.at - (stalledMs - seen.stalledMs) <= this.livenessMs) out.push(seen.heartbeat);
      else {
        this.lastSeen.delete(id);
        this.lost(id);
      }
    }
    this.metrics.liveWorkers.set(out.length);
    return out;
  }

  /** Calls `listener` with a worker's id when its heartbeats stop for the liveness window (dead, frozen or cut off; not one that said it is draining). */
  onLost(listener: (workerId: string) => void): void {
    this.lost = listener;
  }

  /** Calls `listener` when a worker not counted live sends a ready heartbeat (the fleet may have grown). */
  onJoin(listener: () => void): void {
    this.joined = listener;
  }

  /** Branches the live fleet can generate at once: the sum of its heartbeats' capacities, each capped at a worker's largest. */
  fleetSlots(now: number = Date.now()): number {
    let slots = 0;
    for (const hb of this.live(now)) slots += Math.min(hb.capacity, maxWorkerCapacity);
    return slots;
  }

  /** True once the scheduler has listened long enough that silence means "no workers". */
  warmedUp(now: number = Date.now()): boolean {
    return now - this.startedAt > this.livenessMs;
  }
}
