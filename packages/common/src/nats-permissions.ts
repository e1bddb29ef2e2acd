/**
 * What each ttc role may do on NATS: the subjects it may publish and subscribe to, in the shape of a
 * nats-server `permissions` block (the same for a config-file user, an nkey user or, through `nsc`,
 * a user JWT). `ttc up` writes them into its local server's configuration; an operator copies them
 * (`ttc nats-permissions`) into a production account.
 *
 * - A worker pulls tasks from the workers' consumer, acks them, publishes chunks only to trace
 *   subjects, heartbeats only as itself, hears cancels and schedulers' heartbeats, and reads only its own replies (so it never sees
 *   another worker's tasks or their chunk keys). It cannot publish tasks or cancels, read chunks,
 *   answer verify requests or touch streams.
 * - A verifier only answers verify requests.
 * - Only a scheduler publishes tasks and cancels, asks verifiers, reads chunks and heartbeats (of
 *   workers and of other schedulers), manages the task stream and reads and writes the request and query records.
 */
import type { ServiceRole, WireNames } from "./wire.js";

/** A nats-server permissions block. */
export interface NatsPermissions {
  publish: { allow?: string[]; deny?: string[] };
  subscribe: { allow?: string[]; deny?: string[] };
  /** Lets the user publish a reply to each request it received (a responder needs no other publish right). */
  allow_responses?: boolean;
}

/** The permissions of `role`; a worker's are bound to its id (its heartbeat subject and its inbox). */
export function rolePermissions(names: WireNames, role: ServiceRole, workerId?: string): NatsPermissions {
  const ns = names.namespace;
  const stream = names.taskStream;
  const bucket = names.requestBucket;
  const records = names.queryRecordStream;
  switch (role) {
    case "scheduler":
      return {
        publish: {
          allow: [
            names.taskSubject,
            names.cancelWildcard,
            names.schedulerHeartbeatWildcard,
            `${ns}.verify.*`,
            "$JS.API.INFO",
            `$JS.API.STREAM.*.${stream}`,
            `$JS.API.STREAM.MSG.DELETE.${stream}`,
            `$JS.API.CONSUMER.*.${stream}.>`,
            `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
            // The request records: a key-value bucket is a stream KV_<bucket> written on $KV.<bucket>.<key>.
            `$KV.${bucket}.>`,
            `$JS.API.STREAM.*.KV_${bucket}`,
            `$JS.API.STREAM.MSG.GET.KV_${bucket}`,
            `$JS.API.DIRECT.GET.KV_${bucket}`,
            `$JS.API.DIRECT.GET.KV_${bucket}.>`,
            // The query records: appended on <ns>.query.<id>, read back through ordered consumers.
            names.queryRecordWildcard,
            `$JS.API.STREAM.*.${records}`,
            `$JS.API.CONSUMER.*.${records}.>`,
            `$JS.API.CONSUMER.MSG.NEXT.${records}.*`,
          ],
        },
        subscribe: {
          allow: [`${ns}.trace.>`, names.heartbeatWildcard, names.schedulerHeartbeatWildcard, `${names.inboxPrefix("scheduler")}.>`],
        },
      };
    case "worker": {
      if (workerId === undefined) throw new Error("a worker's permissions need its id");
      const consumer = `${stream}.${names.taskConsumer}`;
      return {
        publish: {
          allow: [
            `$JS.API.CONSUMER.INFO.${consumer}`,
            `$JS.API.CONSUMER.MSG.NEXT.${consumer}`,
            `$JS.ACK.${consumer}.>`,
            `${ns}.trace.*.*`,
            names.heartbeatSubject(workerId),
          ],
        },
        subscribe: { allow: [names.cancelWildcard, names.schedulerHeartbeatWildcard, `${names.inboxPrefix("worker", workerId)}.>`] },
      };
    }
    case "verifier":
      return {
        publish: { deny: [">"] },
        subscribe: { allow: [`${ns}.verify.*`, `${names.inboxPrefix("verifier")}.>`] },
        allow_responses: true,
      };
  }
}
