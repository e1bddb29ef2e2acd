/**
 * Every NATS subject, stream and consumer name ttc uses, defined once.
 *
 * A namespace prefixes all of them so several clusters (or test runs) can share one NATS server
 * without seeing each other's tasks.
 */

/** Bytes of the chunk and cancel keys a scheduler puts in every task: 128 random bits, not to be guessed. */
export const taskKeyBytes = 16;

/** Default namespace of a ttc cluster. */
export const defaultNamespace = "ttc";

export interface WireNames {
  readonly namespace: string;
  /** JetStream work-queue stream holding branch tasks. */
  readonly taskStream: string;
  /** Durable pull consumer shared by every worker: each task goes to exactly one of them. */
  readonly taskConsumer: string;
  /** Subject branch tasks are published on. */
  readonly taskSubject: string;
  /** Core NATS subject for one query's trace chunks, owned by the scheduler running it. */
  traceSubject(schedulerId: string, queryId: string): string;
  /** Wildcard of every trace subject of one scheduler's queries. */
  traceWildcard(schedulerId: string): string;
  /** Whether a subject is one `traceSubject` could have made (workers publish chunks nowhere else). */
  isTraceSubject(subject: string): boolean;
  /** The scheduler whose query a trace subject belongs to; undefined when it is not a trace subject. */
  traceOwner(subject: string): string | undefined;
  /** A scheduler's heartbeat subject: workers stop the branches of a scheduler that fell silent. */
  schedulerHeartbeatSubject(schedulerId: string): string;
  readonly schedulerHeartbeatWildcard: string;
  /** The scheduler id a scheduler heartbeat subject names; undefined when it is not one. */
  schedulerHeartbeatSender(subject: string): string | undefined;
  /** Core NATS subject that stops branches of one query. */
  cancelSubject(queryId: string): string;
  /** Wildcard every worker listens on for cancels. */
  readonly cancelWildcard: string;
  /** A worker publishes its capacity here, on a subject of its own id (NATS permissions can then bind the id to its credentials). */
  heartbeatSubject(workerId: string): string;
  /** Wildcard of every worker's heartbeats. */
  readonly heartbeatWildcard: string;
  /** The worker id a heartbeat subject names; undefined when it is not one. */
  heartbeatSender(subject: string): string | undefined;
  /**
   * JetStream key-value bucket of the durable records of requests that carry a request_id: any
   * scheduler replica reads them to answer, join or resume a retried request.
   */
  readonly requestBucket: string;
  /**
   * JetStream stream of query records (what `GetQuery`, `WatchQuery` and `ttc show` read): each query's
   * entries appended on its own subject, with a TTL and a size bound.
   */
  readonly queryRecordStream: string;
  /** The subject a query's record entries are appended on. */
  queryRecordSubject(queryId: string): string;
  readonly queryRecordWildcard: string;
  /** Request/reply subject of a verifier kind. */
  verifySubject(verifier: string): string;
  /** Queue group verifier replicas share, so each request is scored once. */
  readonly verifierQueue: string;
  /**
   * Prefix of a process's reply subjects (JetStream acks and pulled tasks, verify replies): one per
   * role, and per worker, so NATS permissions can let each read only its own replies.
   */
  inboxPrefix(role: ServiceRole, instanceId?: string): string;
}

/** The kinds of ttc process that connect to NATS, each with its own permissions. */
export type ServiceRole = "scheduler" | "worker" | "verifier";

const tokenPattern = /^[A-Za-z0-9_-]+$/;

/** Builds the names of one namespace. Throws when the namespace is not a single NATS token. */
export function wireNames(namespace: string = defaultNamespace): WireNames {
  if (!tokenPattern.test(namespace)) {
    throw new Error(`namespace "${namespace}" must be letters, digits, "_" or "-"`);
  }
  const upper = namespace.toUpperCase().replace(/-/g, "_");
  return {
    namespace,
    taskStream: `${upper}_TASKS`,
    taskConsumer: "workers",
    taskSubject: `${namespace}.task.branch`,
    traceSubject: (schedulerId, queryId) => `${namespace}.trace.${token(schedulerId)}.${token(queryId)}`,
    traceWildcard: (schedulerId) => `${namespace}.trace.${token(schedulerId)}.*`,
    isTraceSubject: (subject) => {
      const parts = subject.split(".");
      return (
        parts.length === 4 && parts[0] === namespace && parts[1] === "trace" && tokenPattern.test(parts[2]!) && tokenPattern.test(parts[3]!)
      );
    },
    traceOwner: (subject) => {
      const parts = subject.split(".");
      return parts.length === 4 && parts[0] === namespace && parts[1] === "trace" && tokenPattern.test(parts[2]!) ? parts[2] : undefined;
    },
    schedulerHeartbeatSubject: (schedulerId) => `${namespace}.scheduler.heartbeat.${token(schedulerId)}`,
    schedulerHeartbeatWildcard: `${namespace}.scheduler.heartbeat.*`,
    schedulerHeartbeatSender: (subject) => tokenAfter(`${namespace}.scheduler.heartbeat.`, subject),
    cancelSubject: (queryId) => `${namespace}.cancel.${token(queryId)}`,
    cancelWildcard: `${namespace}.cancel.*`,
    heartbeatSubject: (workerId) => `${namespace}.worker.heartbeat.${token(workerId)}`,
    heartbeatWildcard: `${namespace}.worker.heartbeat.*`,
    heartbeatSender: (subject) => tokenAfter(`${namespace}.worker.heartbeat.`, subject),
    requestBucket: `${upper}_REQUESTS`,
    queryRecordStream: `${upper}_QUERIES`,
    queryRecordSubject: (queryId) => `${namespace}.query.${token(queryId)}`,
    queryRecordWildcard: `${namespace}.query.*`,
    verifySubject: (verifier) => `${namespace}.verify.${token(verifier)}`,
    verifierQueue: `${namespace}-verifiers`,
    inboxPrefix: (role, instanceId) =>
      role === "worker" && instanceId !== undefined ? `_INBOX.${namespace}.worker.${token(instanceId)}` : `_INBOX.${namespace}.${role}`,
  };
}

/** The single token that follows `prefix` in `subject`, when that is all that follows it. */
function tokenAfter(prefix: string, subject: string): string | undefined {
  const id = subject.startsWith(prefix) ? subject.slice(prefix.length) : "";
  return tokenPattern.test(id) ? id : undefined;
}

function token(value: string): string {
  if (!tokenPattern.test(value)) throw new Error(`"${value}" is not a valid NATS subject token`);
  return value;
}
