import { connect } from "@nats-io/transport-node";
import type { NatsConnection, Status } from "@nats-io/nats-core";
import { nanos } from "@nats-io/nats-core";
import { AckPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { WireNames } from "./wire.js";

/** Connects with reconnects forever: a NATS restart must not kill a service, only pause it. */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url.split(",").map((s) => s.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5_000,
    timeout: 5_000,
    // Without this, every request (each task publish, each verify call) builds an Error to capture its
    // stack in case it fails: a measurable share of a loaded scheduler's CPU. Failures are told apart by
    // their class, not their stack.
    noAsyncTraces: true,
  });
}

/** Calls `onChange(connected)` whenever the connection drops or comes back. */
export function watchConnection(nc: NatsConnection, onChange: (connected: boolean) => void): void {
  void (async () => {
    for await (const s of nc.status() as AsyncIterable<Status>) {
      if (s.type === "disconnect" || s.type === "staleConnection") onChange(false);
      else if (s.type === "reconnect") onChange(true);
    }
  })();
}

export interface TaskQueueOptions {
  /** Seconds a worker may hold a task without signalling progress before it is redelivered. */
  ackWaitSeconds: number;
  /** Deliveries before a task is given up. */
  maxDeliver: number;
  /** Seconds an undelivered task lives in the stream (tasks also carry their own deadline). */
  maxAgeSeconds: number;
}

/**
 * Creates or updates the branch-task work-queue stream and the workers' shared pull consumer.
 * Idempotent: schedulers and workers both call it at start-up, in any order.
 */
export async function ensureTaskQueue(nc: NatsConnection, names: WireNames, options: TaskQueueOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const streamConfig = {
    name: names.taskStream,
    subjects: [names.taskSubject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: nanos(options.maxAgeSeconds * 1000),
    // JetStream refuses a duplicate window longer than the stream's max age.
    duplicate_window: nanos(Math.min(120_000, options.maxAgeSeconds * 1000)),
  };
  try {
    await jsm.streams.info(names.taskStream);
    await jsm.streams.update(names.taskStream, streamConfig);
  } catch (err) {
    if (!isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add(streamConfig);
  }
  const consumerConfig = {
    durable_name: names.taskConsumer,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackWaitSeconds * 1000),
    max_deliver: options.maxDeliver,
    // Capacity is enforced by each worker pulling only for free slots, not by the server.
    max_ack_pending: 100_000,
  };
  try {
    await jsm.consumers.info(names.taskStream, names.taskConsumer);
    await jsm.consumers.update(names.taskStream, names.taskConsumer, consumerConfig);
  } catch (err) {
    if (!isJetStreamApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(names.taskStream, consumerConfig);
  }
}

/**
 * True when JetStream's API refused a request with the error code `code` (`JetStreamApiCodes`, e.g.
 * 10059 stream not found, 10014 consumer not found): the server's code, never its description.
 */
export function isJetStreamApiError(err: unknown, code: JetStreamApiCodes): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}
