import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection, Status } from "@nats-io/nats-core";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  commonEnv,
  intVar,
  parseConfig,
  Readiness,
  runService,
  serviceSettings,
  type RunningService,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceHost,
  type ServiceSettings,
} from "../src/mod.js";

type Metrics = { registry: Registry };
type Context = ServiceContext<ServiceSettings, Metrics>;

/** A promise and the functions that settle it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** What the fakes saw, in order: drains, closes, exits, NATS changes told to the service. */
type Events = string[];

/** A NATS connection whose status stream the test drives, recording drain (after `onDrain`) and close. */
function fakeNats(events: Events, onDrain: () => Promise<void> = async () => {}) {
  const queued: Status[] = [];
  let wake: (() => void) | null = null;
  const status = async function* () {
    for (;;) {
      while (queued.length > 0) yield queued.shift()!;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const nc = {
    status,
    drain: async () => {
      await onDrain();
      events.push("nats drained");
    },
    close: async () => void events.push("nats closed"),
  } as unknown as NatsConnection;
  return {
    nc,
    /** Sends a status change and lets the watcher see it. */
    async emit(type: "disconnect" | "reconnect") {
      queued.push({ type } as Status);
      wake?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}

/** The process around the service: signals the test sends, exits and errors it records. */
function fakeHost(nc: NatsConnection, events: Events) {
  const signals = new EventEmitter();
  const exited = deferred<number>();
  const errors: unknown[] = [];
  let connects = 0;
  /** How the next task-queue recreations go: each `false` is one refusal, then they succeed. */
  const recreations: boolean[] = [];
  const host: ServiceHost = {
    connect: async () => {
      connects++;
      return nc;
    },
    signals,
    printError: (error) => errors.push(error),
    ensureTaskQueue: async () => {
      events.push("task queue ensured");
      if (recreations.shift() === false) throw new Error("JetStream not ready");
    },
    exit: (code) => {
      events.push(`exit ${code}`);
      exited.resolve(code);
    },
  };
  return { host, signals, exited: exited.promise, errors, connects: () => connects, recreations };
}

const schema = z.object({ ...commonEnv, TTC_METRICS_PORT: intVar(0, 0, 65535) });

function definition(start: (context: Context) => Promise<RunningService>): ServiceDefinition<ServiceSettings, Metrics> {
  return {
    name: "scheduler",
    loadConfig: (env) => serviceSettings(parseConfig(schema, env)),
    createMetrics: () => ({ registry: new Registry() }),
    taskQueue: () => ({ ackWaitSeconds: 30, maxDeliver: 5, maxAgeSeconds: 3600 }),
    start,
  };
}

/** Services a test left running, stopped after it so no metrics server outlives its test. */
const leftRunning: ReturnType<typeof fakeHost>[] = [];
afterEach(async () => {
  for (const host of leftRunning.splice(0)) {
    host.signals.emit("SIGTERM");
    await host.exited;
  }
});

/** Runs a fake service on a free port; its announcement says where. */
async function run(start: (context: Context) => Promise<RunningService>, onNatsDrain?: () => Promise<void>) {
  const events: Events = [];
  const nats = fakeNats(events, onNatsDrain);
  const host = fakeHost(nats.nc, events);
  leftRunning.push(host);
  const announceFile = join(mkdtempSync(join(tmpdir(), "ttc-service-test-")), "announce.json");
  await runService(definition(start), { TTC_LOG_LEVEL: "silent", TTC_ANNOUNCE_FILE: announceFile }, host.host);
  const announced = JSON.parse(readFileSync(announceFile, "utf8")) as Record<string, unknown>;
  return { events, nats, ...host, announced, readyz: () => probe(new URL("/readyz", String(announced["metricsUrl"]))) };
}

async function probe(url: URL): Promise<string> {
  const res = await fetch(url);
  return `${res.status} ${(await res.text()).trim()}`;
}

describe("runService", () => {
  it("prints every configuration problem at once and exits 1 without connecting", async () => {
    const events: Events = [];
    const host = fakeHost(fakeNats(events).nc, events);
    await runService(
      definition(async () => ({ drain: async () => {} })),
      { TTC_NAMESPACE: "not a namespace", TTC_LOG_LEVEL: "loud" },
      host.host,
    );
    expect(await host.exited).toBe(1);
    expect(host.errors).toHaveLength(1);
    expect(host.errors[0]).toMatch(/TTC_NAMESPACE/);
    expect(host.errors[0]).toMatch(/TTC_LOG_LEVEL/);
    expect(host.connects()).toBe(0);
  });

  it("is not ready while starting, then announces itself and is ready", async () => {
    let whileStarting: string[] = [];
    const s = await run(async ({ readiness }) => {
      whileStarting = readiness.reasons();
      return { info: { grpc: "127.0.0.1:1234" }, drain: async () => {} };
    });
    expect(whileStarting).toEqual(["starting"]);
    expect(s.announced).toMatchObject({ grpc: "127.0.0.1:1234", nats: "nats://127.0.0.1:4222" });
    expect(String(s.announced["metricsUrl"])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(await s.readyz()).toBe("200 ready");
  });

  it("is not ready while NATS is lost, and tells the service both ways", async () => {
    const told: boolean[] = [];
    const s = await run(async () => ({ natsChanged: (connected) => told.push(connected), drain: async () => {} }));
    await s.nats.emit("disconnect");
    expect(await s.readyz()).toBe("503 not ready: nats disconnected");
    await s.nats.emit("reconnect");
    expect(await s.readyz()).toBe("200 ready");
    expect(told).toEqual([false, true]);
  });

  it("retries recreating the task queue after a reconnect until it works, ready only then; the service hears of the connection at once", async () => {
    const told: boolean[] = [];
    const s = await run(async () => ({ natsChanged: (connected) => told.push(connected), drain: async () => {} }));
    s.recreations.push(false, false);
    await s.nats.emit("disconnect");
    await s.nats.emit("reconnect");
    expect(await s.readyz()).toBe("503 not ready: nats disconnected");
    // The connection is back: the service may work while the queue is checked (a JetStream election takes seconds).
    expect(told).toEqual([false, true]);
    await vi.waitFor(async () => expect(await s.readyz()).toBe("200 ready"), { timeout: 2_000, interval: 20 });
    expect(s.events.filter((e) => e === "task queue ensured")).toHaveLength(3);
  });

  it("tells a service that NATS was lost while it started, once it has", async () => {
    const told: boolean[] = [];
    const started = deferred();
    const events: Events = [];
    const nats = fakeNats(events);
    const host = fakeHost(nats.nc, events);
    const running = runService(
      definition(async () => {
        await started.promise;
        return { natsChanged: (connected) => told.push(connected), drain: async () => {} };
      }),
      { TTC_LOG_LEVEL: "silent" },
      host.host,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await nats.emit("disconnect");
    expect(told).toEqual([]);
    started.resolve();
    await running;
    expect(told).toEqual([false]);
    leftRunning.push(host);
  });

  it("counts a service's own polled reason", async () => {
    let engineUp = false;
    const s = await run(async ({ readiness }) => {
      readiness.blockWhile("engine not ready", () => !engineUp);
      return { drain: async () => {} };
    });
    expect(await s.readyz()).toBe("503 not ready: engine not ready");
    engineUp = true;
    expect(await s.readyz()).toBe("200 ready");
  });

  it("drains once however many signals arrive, then drains NATS, closes the metrics server and exits 0", async () => {
    const draining = deferred();
    const seen: boolean[] = [];
    let drains = 0;
    const s = await run(
      async ({ readiness }) => {
        readiness.onChange((ready) => seen.push(ready));
        return {
          drain: async () => {
            drains++;
            s.events.push("service drained");
            await draining.promise;
          },
        };
      },
      // The metrics server outlives NATS: /readyz still says why the process is going away.
      async () => void s.events.push(`readyz ${await s.readyz()}`),
    );
    const metricsUrl = new URL(String(s.announced["metricsUrl"]));
    s.signals.emit("SIGTERM");
    s.signals.emit("SIGINT");
    s.signals.emit("SIGTERM");
    expect(await s.readyz()).toBe("503 not ready: draining");
    expect(seen).toEqual([true, false]);
    draining.resolve();
    expect(await s.exited).toBe(0);
    expect(drains).toBe(1);
    expect(s.events).toEqual(["service drained", "readyz 503 not ready: draining", "nats drained", "exit 0"]);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });

  it("still closes NATS and the metrics server when the drain fails, and exits 1", async () => {
    const s = await run(async () => ({
      drain: async () => {
        throw new Error("stuck");
      },
    }));
    s.signals.emit("SIGTERM");
    expect(await s.exited).toBe(1);
    expect(s.events).toEqual(["nats drained", "exit 1"]);
  });

  it("closes what it opened and exits 1 when the service fails to start", async () => {
    const events: Events = [];
    const host = fakeHost(fakeNats(events).nc, events);
    await runService(
      definition(async () => {
        throw new Error("engine file missing");
      }),
      { TTC_LOG_LEVEL: "silent" },
      host.host,
    );
    expect(await host.exited).toBe(1);
    expect(String(host.errors[0])).toMatch(/engine file missing/);
    expect(events).toEqual(["nats closed", "exit 1"]);
  });
});

describe("Readiness", () => {
  it("is ready while nothing blocks it, and tells listeners only when that turns over", () => {
    const r = new Readiness();
    const seen: boolean[] = [];
    r.onChange((ready) => seen.push(ready));
    expect(r.ready).toBe(true);
    r.block("nats disconnected");
    r.block("draining");
    expect(r.reasons()).toEqual(["nats disconnected", "draining"]);
    r.unblock("nats disconnected");
    expect(r.ready).toBe(false);
    r.unblock("draining");
    expect(r.ready).toBe(true);
    expect(seen).toEqual([false, true]);
  });

  it("asks polled reasons at every look", () => {
    const r = new Readiness();
    let down = true;
    r.blockWhile("engine not ready", () => down);
    expect(r.reasons()).toEqual(["engine not ready"]);
    down = false;
    expect(r.ready).toBe(true);
  });
});
