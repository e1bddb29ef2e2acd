import type { Msg, NatsConnection, Subscription, SubscriptionOptions } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { WorkerHeartbeat } from "@ttc/proto";
import { wireNames } from "@ttc/common";
import { createSchedulerMetrics } from "../src/metrics.js";
import { StallMeter } from "../src/stall-meter.js";
import { WorkerRegistry } from "../src/worker-registry.js";

/** A stall meter the test ticks with its own clock (no timer). */
class ManualStallMeter extends StallMeter {
  override start(): void {}
}

function registryWithHeartbeats(livenessMs: number, meter: StallMeter) {
  let deliver: ((msg: Msg) => void) | undefined;
  const nc = {
    subscribe: (_subject: string, opts: SubscriptionOptions) => {
      deliver = (msg) => opts.callback!(null, msg);
      return { unsubscribe() {} } as Subscription;
    },
  } as unknown as NatsConnection;
  const registry = new WorkerRegistry(livenessMs, createSchedulerMetrics(), meter);
  registry.start(nc, wireNames("ttc"));
  const names = wireNames("ttc");
  const heartbeat = (workerId: string, subject = names.heartbeatSubject(workerId), ready = true) =>
    deliver!({ subject, data: WorkerHeartbeat.encode(WorkerHeartbeat.create({ workerId, ready, capacity: 1 })).finish() } as Msg);
  return { registry, heartbeat, names };
}

describe("WorkerRegistry", () => {
  it("takes a heartbeat only from the subject of the worker it names: another's cannot mark it down", () => {
    const meter = new ManualStallMeter(100, 50, Date.now());
    const { registry, heartbeat, names } = registryWithHeartbeats(1_000, meter);
    heartbeat("w1");
    heartbeat("w2");
    heartbeat("w1", names.heartbeatSubject("w2"), false); // w2 says w1 is down
    heartbeat("w1", "ttc.worker.heartbeat", false);
    expect(
      registry
        .live()
        .map((w) => w.workerId)
        .sort(),
    ).toEqual(["w1", "w2"]);
    expect(registry.fleetSlots()).toBe(2);
    heartbeat("w1", names.heartbeatSubject("w1"), false);
    expect(registry.live().map((w) => w.workerId)).toEqual(["w2"]);
  });

  it("drops a worker whose heartbeats stopped while this process kept running", () => {
    const t0 = Date.now();
    const meter = new ManualStallMeter(100, 50, t0);
    const { registry, heartbeat } = registryWithHeartbeats(1_000, meter);
    heartbeat("w1");
    for (let t = t0 + 100; t <= t0 + 1_500; t += 100) meter.tick(t);
    expect(registry.live(t0 + 1_500)).toHaveLength(0);
  });

  it("does not count its own event-loop stall against a worker: the heartbeats are waiting to be read", () => {
    const t0 = Date.now();
    const meter = new ManualStallMeter(100, 50, t0);
    const { registry, heartbeat } = registryWithHeartbeats(1_000, meter);
    heartbeat("w1");
    meter.tick(t0 + 100);
    // A 5 s stall: no tick ran until now.
    expect(registry.live(t0 + 5_100).map((w) => w.workerId)).toEqual(["w1"]);
    meter.tick(t0 + 5_100);
    for (let t = t0 + 5_200; t <= t0 + 5_500; t += 100) meter.tick(t);
    expect(registry.live(t0 + 5_500)).toHaveLength(1);
    // ...but a worker silent for longer than the window after the stall is gone.
    for (let t = t0 + 5_600; t <= t0 + 7_000; t += 100) meter.tick(t);
    expect(registry.live(t0 + 7_000)).toHaveLength(0);
  });
});

describe("StallMeter", () => {
  it("counts lateness beyond the tolerance only", () => {
    const m = new StallMeter(100, 50, 0);
    m.tick(130); // 30 ms late: scheduling noise
    expect(m.stalledMs(130)).toBe(0);
    m.tick(1_230); // 1 s late
    expect(m.stalledMs(1_230)).toBe(1_000);
    expect(m.stalledMs(2_330)).toBe(2_000); // a stall still going on counts too
  });
});
