import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";

/**
 * Samples the task queue's lag every `periodMs`: tasks waiting for a worker (the consumer's pending
 * count) and tasks a worker holds without having finished (ack pending). One JetStream API call per
 * period, off the query path; a failed sample leaves the gauges as they were.
 */
export function watchTaskQueue(nc: NatsConnection, names: WireNames, metrics: SchedulerMetrics, periodMs = 1_000): { stop(): void } {
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
        () => {},
      )
      .finally(() => (sampling = false));
  }, periodMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
