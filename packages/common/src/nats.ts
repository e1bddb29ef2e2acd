import { connect } from "@nats-io/transport-node";
import type { Authenticator, NatsConnection, Status } from "@nats-io/nats-core";
import { credsAuthenticator, nanos, nkeyAuthenticator, usernamePasswordAuthenticator } from "@nats-io/nats-core";
import { readSettingFile } from "./secrets.js";
import {
  AckPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { WireNames } from "./wire.js";

/**
 * How a process proves who it is to NATS (at most one of user/password, an nkey seed, a `.creds`
 * file), and the TLS it expects of the server. Files are read when connecting.
 */
export interface NatsAuth {
  user?: string;
  password?: string;
  /** An nkey seed (`SU…`), as `nk -gen user` or `ttc up` writes it. */
  nkeySeedFile?: string;
  /** A user JWT and its seed (`nsc generate creds`). */
  credsFile?: string;
  /** CA the server's certificate must chain to (turns TLS on). */
  caFile?: string;
  /** Client certificate and key, when the server asks for one (mutual TLS). */
  certFile?: string;
  keyFile?: string;
}

export interface NatsConnectOptions {
  auth?: NatsAuth;
  /** Prefix of the connection's reply subjects (`WireNames.inboxPrefix`), so permissions can keep replies private. */
  inboxPrefix?: string;
}

function authenticator(auth: NatsAuth): Authenticator | undefined {
  if (auth.credsFile) return credsAuthenticator(readSettingFile("TTC_NATS_CREDS_FILE", auth.credsFile));
  if (auth.nkeySeedFile)
    return nkeyAuthenticator(new Uint8Array(readSettingFile("TTC_NATS_NKEY_SEED_FILE", auth.nkeySeedFile)).filter((b) => b > 32));
  if (auth.user !== undefined) return usernamePasswordAuthenticator(auth.user, auth.password ?? "");
  return undefined;
}

/** Connects with reconnects forever: a NATS restart must not kill a service, only pause it. */
export async function connectNats(url: string, name: string, options: NatsConnectOptions = {}): Promise<NatsConnection> {
  const auth = options.auth ?? {};
  const withAuth = authenticator(auth);
  // Read here, once, so a missing file fails the start naming its setting.
  const pem = (setting: string, file: string | undefined) => (file ? readSettingFile(setting, file).toString("utf8") : undefined);
  const tls = {
    ca: pem("TTC_NATS_CA_FILE", auth.caFile),
    cert: pem("TTC_NATS_TLS_CERT", auth.certFile),
    key: pem("TTC_NATS_TLS_KEY", auth.keyFile),
  };
  return connect({
    servers: url.split(",").map((s) => s.trim()),
    name,
    ...(withAuth ? { authenticator: withAuth } : {}),
    ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    ...(tls.ca || tls.cert ? { tls: Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)) } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // A server cut off without a reset (a partition) is noticed after two unanswered pings, 4–6 s.
    pingInterval: 2_000,
    maxPingOut: 2,
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
  /** Copies of the stream (and the workers' consumer) across a NATS cluster: 3 survives a node's loss. @default 1 */
  replicas?: number;
}

/** Creates the stream, or brings an existing one to `config` (idempotent). */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (err) {
    if (!isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add(config);
  }
}

/**
 * Creates or updates the branch-task work-queue stream and the workers' shared pull consumer.
 * Idempotent: every scheduler calls it at start-up and after a reconnect; workers wait for it
 * ({@link awaitTaskQueue}).
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
    num_replicas: options.replicas ?? 1,
  };
  await ensureStream(jsm, streamConfig);
  const consumerConfig = {
    durable_name: names.taskConsumer,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackWaitSeconds * 1000),
    max_deliver: options.maxDeliver,
    // Capacity is enforced by each worker pulling only for free slots, not by the server.
    max_ack_pending: 100_000,
    num_replicas: options.replicas ?? 1,
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
 * Resolves once the workers' consumer of the task queue exists. The scheduler creates the queue;
 * a worker only waits for it (its NATS permissions do not let it create or change streams).
 * `waiting` is called once if it is not there at the first look.
 */
export async function awaitTaskQueue(nc: NatsConnection, names: WireNames, waiting: () => void = () => {}): Promise<void> {
  const js = jetstream(nc);
  for (let first = true; ; first = false) {
    try {
      await js.consumers.get(names.taskStream, names.taskConsumer);
      return;
    } catch (err) {
      if (!isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound) && !isJetStreamApiError(err, JetStreamApiCodes.ConsumerNotFound))
        throw err;
      if (first) waiting();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * True when JetStream's API refused a request with the error code `code` (`JetStreamApiCodes`, e.g.
 * 10059 stream not found, 10014 consumer not found): the server's code, never its description.
 */
export function isJetStreamApiError(err: unknown, code: JetStreamApiCodes): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}
