/** JetStream set-up and its error classification against a real nats-server: the errors are the library's own. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JetStreamApiCodes, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { connectNats, ensureTaskQueue, isJetStreamApiError } from "../src/nats.js";
import { wireNames } from "../src/wire.js";
import { startNats, type NatsFixture } from "@ttc/test-harness";

let nats: NatsFixture;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, "common-nats-test");
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe("isJetStreamApiError", () => {
  it("knows a missing stream and a missing consumer by JetStream's error code", async () => {
    const names = wireNames(`cn${process.pid}a`);
    const noStream = await jsm.streams.info(names.taskStream).catch((err: unknown) => err);
    expect(isJetStreamApiError(noStream, JetStreamApiCodes.StreamNotFound)).toBe(true);
    expect(isJetStreamApiError(noStream, JetStreamApiCodes.ConsumerNotFound)).toBe(false);

    await ensureTaskQueue(nc, names, { ackWaitSeconds: 30, maxDeliver: 5, maxAgeSeconds: 600 });
    const noConsumer = await jsm.consumers.info(names.taskStream, "nobody").catch((err: unknown) => err);
    expect(isJetStreamApiError(noConsumer, JetStreamApiCodes.ConsumerNotFound)).toBe(true);
    expect(isJetStreamApiError(noConsumer, JetStreamApiCodes.StreamNotFound)).toBe(false);
    await jsm.streams.delete(names.taskStream);
  });

  it("never reads the message: an error that only says so is not JetStream's", () => {
    expect(isJetStreamApiError(new Error("stream not found"), JetStreamApiCodes.StreamNotFound)).toBe(false);
    expect(isJetStreamApiError({ code: JetStreamApiCodes.StreamNotFound }, JetStreamApiCodes.StreamNotFound)).toBe(false);
  });
});

describe("ensureTaskQueue", () => {
  it("creates the stream and the consumer, then updates both in place", async () => {
    const names = wireNames(`cn${process.pid}b`);
    await ensureTaskQueue(nc, names, { ackWaitSeconds: 30, maxDeliver: 5, maxAgeSeconds: 600 });
    await ensureTaskQueue(nc, names, { ackWaitSeconds: 7, maxDeliver: 3, maxAgeSeconds: 300 });
    expect((await jsm.streams.info(names.taskStream)).config.max_age).toBe(nanos(300_000));
    expect((await jsm.consumers.info(names.taskStream, names.taskConsumer)).config).toMatchObject({
      ack_wait: nanos(7_000),
      max_deliver: 3,
    });
    await jsm.streams.delete(names.taskStream);
  });

  it("accepts a max age shorter than the two-minute duplicate window (TTC_TASK_MAX_AGE_SECONDS allows 10)", async () => {
    const names = wireNames(`cn${process.pid}c`);
    await ensureTaskQueue(nc, names, { ackWaitSeconds: 5, maxDeliver: 3, maxAgeSeconds: 10 });
    expect((await jsm.streams.info(names.taskStream)).config).toMatchObject({ max_age: nanos(10_000), duplicate_window: nanos(10_000) });
    await jsm.streams.delete(names.taskStream);
  });
});
