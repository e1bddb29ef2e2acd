import { jetstreamManager, JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";

/** What the watch does when the sample says the task stream or its consumer is gone (deleted, or lost with a server). */
export interface TaskQueueRepair {
  /** Called once per loss, before the repair: the scheduler is not ready. */
  lost(): void;
  /** Recreates the queue; throws when it could not (the next sample tries again). */
  recreate(): Promise<void>;
  /** The queue is back. */
  restored(): void;
}

/**
 * Samples the task queue's lag every `periodMs`: tasks waiting for a worker (the consumer's pending
 * count) and tasks a worker holds without having finished (ack pending). One JetStream API call per
 * period, off the query path; a failed sample leaves the gauges as they were. A sample that finds the
 * stream or the consumer missing starts `repair`: without them every task publish would go unanswered
 * while health said SERVING.
 */
export function watchTaskQueue(
  nc: NatsConnection,
  names: WireNames,
  metrics: SchedulerMetrics,
  repair: TaskQueueRepair,
  periodMs = 1_000,
): { stop(): void } {
  let missing = false;
  // One manager for the watch: making one asks the server for the account info each time.
  const manager = jetstreamManager(nc, { checkAPI: false });
  let sampling = false;
  const timer = setInterval(() => {
    if (sampling) return; // a slow answer must not pile up requests
    sampling = true;
    void manager
      .then((jsm) => jsm.consumers.info(names.taskStream, names.taskConsumer))
      .then(
        (info) => {
          metrics.taskQueuePending.set(info.num_pending);
          metrics.taskQueueAckPending.set(info.num_ack_pending);
        },
        async (err: unknown) => {
          if (!isMissing(err)) return;
          if (!missing) repair.lost();
          missing = true;
          await repair.recreate();
          missing = false;
          repair.restored();
        },
      )
      .catch(() => {})
      .finally(() => (sampling = false));
  }, periodMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function isMissing(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}
