import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager, JetStreamApiError } from "@nats-io/jetstream";
import { NoRespondersError, TimeoutError, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startNats, type NatsFixture } from "@ttc/test-harness";
import { isTransportFailure } from "../src/errors.js";
import { JetStreamAcks } from "../src/jetstream-acks.js";

/** Task publishes against a real nats-server: each ack reaches its own publish, and every failure is typed. */
describe("JetStreamAcks", () => {
  let nats: NatsFixture;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "ACKS_TEST", subjects: ["acks.test"], max_msg_size: 1024, duplicate_window: 60_000_000_000 });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("resolves each publish with its own ack, in any number at once, and marks a repeated msgID as a duplicate", async () => {
    const acks = new JetStreamAcks(nc, "acks.test", 5_000);
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => acks.publish(new Uint8Array([i % 256]), `m-${i}`)));
    expect(results.every((a) => a.stream === "ACKS_TEST" && !a.duplicate)).toBe(true);
    expect(new Set(results.map((a) => a.seq)).size).toBe(300);
    const again = await acks.publish(new Uint8Array([7]), "m-7");
    expect(again).toMatchObject({ duplicate: true, seq: results[7]!.seq });
    expect(acks.pending).toBe(0);
    acks.close();
  });

  it("a subject no stream listens on: NoRespondersError at once, a transport failure (retried)", async () => {
    // An ack timeout longer than the test's own: only the no-responders status can end this publish.
    const acks = new JetStreamAcks(nc, "acks.nobody", 60_000);
    const err = await acks.publish(new Uint8Array([1]), "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRespondersError);
    expect(isTransportFailure(err)).toBe(true);
    acks.close();
  });

  it("a responder that never acks: TimeoutError after the ack timeout, a transport failure", async () => {
    const silent = nc.subscribe("acks.silent");
    const acks = new JetStreamAcks(nc, "acks.silent", 150);
    const err = await acks.publish(new Uint8Array([1]), "y").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(isTransportFailure(err)).toBe(true);
    expect(acks.pending).toBe(0);
    silent.unsubscribe();
    acks.close();
  });

  it("a message the stream refuses: JetStreamApiError, not a transport failure (final)", async () => {
    const acks = new JetStreamAcks(nc, "acks.test", 5_000);
    const err = await acks.publish(new Uint8Array(4096), "too-big").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamApiError);
    expect(isTransportFailure(err)).toBe(false);
    acks.close();
  });

  it("a forged reply on the ack inbox that is not JSON does not resolve the publish as acked", async () => {
    const rogue = nc.subscribe("acks.rogue", { callback: (_e, m) => void m.respond(new TextEncoder().encode("not json")) });
    const acks = new JetStreamAcks(nc, "acks.rogue", 2_000);
    await expect(acks.publish(new Uint8Array([1]), "z")).rejects.toThrow(/invalid ack response/);
    rogue.unsubscribe();
    acks.close();
  });
});
