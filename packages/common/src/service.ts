/**
 * The life of a service process, the same for the scheduler, the workers and the verifier: each
 * supplies only what differs (its settings, its metrics, its start, its drain, its readiness).
 */
import { renameSync, writeFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/nats-core";
import { collectDefaultMetrics, type Registry } from "prom-client";
import { ConfigError, type Env, type ServiceSettings } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { startMetricsServer, type MetricsServer } from "./metrics-server.js";
import { connectNats, ensureTaskQueue, watchConnection, type NatsConnectOptions, type TaskQueueOptions } from "./nats.js";
import { startTracing } from "./tracing.js";
import { Readiness } from "./readiness.js";
import { redactUrl } from "./secrets.js";
import { wireNames, type ServiceRole, type WireNames } from "./wire.js";

/** What {@link runService} hands a service's `start`. */
export interface ServiceContext<C, M> {
  config: C;
  log: Logger;
  metrics: M;
  nc: NatsConnection;
  names: WireNames;
  /**
   * The process's readiness, served on `/readyz`: runService blocks it while starting, while NATS is
   * lost and while draining; the service adds its own reasons (a worker's engine) or follows it (the
   * scheduler's gRPC health).
   */
  readiness: Readiness;
}

/** A started service, as {@link runService} drives it until the process ends. */
export interface RunningService {
  /** What the service says about itself in its `started` log line and its announcement, e.g. its gRPC address. */
  info?: Record<string, unknown>;
  /**
   * Told when the NATS connection is lost, and when it is back. Readiness waits until the task queue
   * (if the service has one) was recreated; the service may work meanwhile: a JetStream election after
   * a node's loss takes seconds, and its JetStream calls retry on their own.
   */
  natsChanged?(connected: boolean): void;
  /** Stops taking work, then lets work in flight finish (or hands it back) within the service's drain grace. */
  drain(): Promise<void>;
}

/** What a service supplies to {@link runService}. */
export interface ServiceDefinition<C extends ServiceSettings, M extends { registry: Registry }> {
  /** The logger's `service`, part of the NATS connection name, and the role whose reply subjects it uses. */
  name: ServiceRole;
  /** Reads and validates the settings; throws ConfigError listing every problem. */
  loadConfig(env: Env): C;
  /** The instance's name where several run: logged as `<name>Id` and part of the NATS connection name. */
  instanceId?(config: C): string;
  /** The process's metrics; `registry` is served on `/metrics`. */
  createMetrics(): M;
  /**
   * The branch-task queue the service uses, recreated after every reconnect before the service is
   * ready again: a restarted NATS server without persistent storage has lost it.
   */
  taskQueue?(config: C): TaskQueueOptions;
  /** Starts the service on the open NATS connection; resolves once it serves. */
  start(context: ServiceContext<C, M>): Promise<RunningService>;
}

/** The process around a service: the real one in a main, fakes in tests. */
export interface ServiceHost {
  connect(url: string, name: string, options: NatsConnectOptions): Promise<NatsConnection>;
  /** Where SIGTERM and SIGINT arrive. */
  signals: { on(signal: "SIGTERM" | "SIGINT", listener: () => void): unknown };
  /** Prints why the service could not start. */
  printError(error: unknown): void;
  /** Creates or updates the branch-task queue ({@link ensureTaskQueue}). */
  ensureTaskQueue(nc: NatsConnection, names: WireNames, options: TaskQueueOptions): Promise<void>;
  exit(code: number): void;
}

const processHost: ServiceHost = {
  connect: connectNats,
  signals: process,
  printError: (error) => console.error(error),
  exit: (code) => process.exit(code),
  ensureTaskQueue,
};

/** Waits between attempts to recreate the task queue after a reconnect: doubling from the first, capped. */
const recreateBackoffMs = { first: 100, max: 5_000 };

/**
 * Runs a service process. Start: settings from `env` (invalid ones are printed, all at once, and the
 * process exits 1), a pino logger, the metrics server (`/metrics`: the service's metrics and the
 * process's own; `/healthz`; `/readyz`, not ready until started), the NATS connection, the service's `start`, then its announcement (logged, and
 * written to `TTC_ANNOUNCE_FILE` when set). Any failure on the way exits 1.
 *
 * While it runs, a lost NATS connection makes it not ready until the connection (and the task queue)
 * is back. The first SIGTERM or SIGINT (later ones are ignored) makes it not ready, drains the
 * service, drains NATS, closes the metrics server and exits: 0 when all of that went cleanly, else 1.
 *
 * Resolves once the service runs, or after `exit(1)`.
 */
export async function runService<C extends ServiceSettings, M extends { registry: Registry }>(
  definition: ServiceDefinition<C, M>,
  env: Env,
  host: ServiceHost = processHost,
): Promise<void> {
  let config: C;
  try {
    config = definition.loadConfig(env);
  } catch (err) {
    host.printError(err instanceof ConfigError ? err.message : err);
    return host.exit(1);
  }
  const id = definition.instanceId?.(config);
  const tracing = startTracing(definition.name, id ?? String(process.pid), config.tracing);
  const log = createLogger(definition.name, config.logLevel).child(id === undefined ? {} : { [`${definition.name}Id`]: id });
  const readiness = new Readiness();
  readiness.block("starting");
  readiness.onChange((ready) => (ready ? log.info("ready") : log.warn({ reasons: readiness.reasons() }, "not ready")));
  const connectionName = id === undefined ? `ttc-${definition.name}` : `ttc-${definition.name}-${id}`;
  let started: Started;
  try {
    started = await start(definition, config, connectionName, log, readiness, host);
  } catch (err) {
    host.printError(err);
    return host.exit(1);
  }
  const { metricsServer, nc, running } = started;
  readiness.unblock("starting");
  let stopping = false;
  const stop = async (signal: string) => {
    // One shutdown: a second signal (Ctrl-C pressed again, SIGTERM after SIGINT) must not drain twice.
    if (stopping) return;
    stopping = true;
    readiness.block("draining");
    log.info({ signal }, "draining");
    const drained = await attempt(log, "drain", () => running.drain());
    const natsDrained = await attempt(log, "NATS drain", () => nc.drain());
    if (tracing) await attempt(log, "trace export", () => tracing.shutdown());
    await metricsServer.close();
    log.info(`${definition.name} stopped`);
    host.exit(drained && natsDrained ? 0 : 1);
  };
  host.signals.on("SIGTERM", () => void stop("SIGTERM"));
  host.signals.on("SIGINT", () => void stop("SIGINT"));
}

interface Started {
  metricsServer: MetricsServer;
  nc: NatsConnection;
  running: RunningService;
}

/** Opens the metrics server and NATS, starts the service and announces it; closes what it opened when a step fails. */
async function start<C extends ServiceSettings, M extends { registry: Registry }>(
  definition: ServiceDefinition<C, M>,
  config: C,
  connectionName: string,
  log: Logger,
  readiness: Readiness,
  host: ServiceHost,
): Promise<Started> {
  const undo: (() => Promise<void>)[] = [];
  const instanceId = definition.instanceId?.(config);
  try {
    const metrics = definition.createMetrics();
    // Process CPU, memory, GC and event-loop delay (`nodejs_eventloop_lag_p99_seconds`), under
    // prom-client's standard names, which dashboards and alerts expect as they are.
    collectDefaultMetrics({ register: metrics.registry });
    const metricsServer = await startMetricsServer(metrics.registry, { host: config.metricsHost, port: config.metricsPort, readiness });
    undo.push(() => metricsServer.close());
    const names = wireNames(config.namespace);
    const nc = await host.connect(config.natsUrl, connectionName, {
      auth: config.natsAuth,
      inboxPrefix: names.inboxPrefix(definition.name, instanceId),
    });
    undo.push(() => nc.close());
    const queue = definition.taskQueue?.(config);
    const nats = followNats(nc, log, readiness, queue && (() => host.ensureTaskQueue(nc, names, queue)));
    const running = await definition.start({ config, log, metrics, nc, names, readiness });
    nats.tell(running);
    const announcement = { metricsUrl: metricsServer.url, nats: redactUrl(config.natsUrl), ...running.info };
    log.info(announcement, "started");
    if (config.announceFile) announce(config.announceFile, announcement);
    return { metricsServer, nc, running };
  } catch (err) {
    for (const close of undo.reverse()) await close();
    throw err;
  }
}

/**
 * Follows the NATS connection: not ready while it is lost; once it is back (and `recreate` has
 * restored what a restarted server lost), ready again. The service hears of the connection itself at
 * once, both ways. `tell` hands over the started service, which hears of every change from then on,
 * and at once if the connection is down.
 */
function followNats(nc: NatsConnection, log: Logger, readiness: Readiness, recreate: (() => Promise<void>) | undefined) {
  const reason = "nats disconnected";
  let service: RunningService | undefined;
  let connected = true;
  // Counts changes, so a recreation that finishes after the connection dropped again changes nothing.
  let changes = 0;
  watchConnection(nc, (up) => {
    const change = ++changes;
    log.warn({ connected: up }, up ? "NATS connection restored" : "NATS connection lost");
    if (!up) {
      connected = false;
      readiness.block(reason);
      service?.natsChanged?.(false);
      return;
    }
    const current = () => change === changes;
    connected = true;
    service?.natsChanged?.(true);
    void (async () => {
      if (recreate && !(await untilRecreated(recreate, current, log))) return;
      if (!current()) return;
      readiness.unblock(reason);
    })();
  });
  return {
    tell(started: RunningService): void {
      service = started;
      if (!connected) started.natsChanged?.(false);
    },
  };
}

/**
 * Recreates the task queue, retrying with backoff: a server that has just come back may refuse for a
 * while (JetStream still recovering, a cluster without a leader yet). True once it worked; false when
 * the connection changed again meanwhile (`current` turned false), which starts its own attempt.
 */
async function untilRecreated(recreate: () => Promise<void>, current: () => boolean, log: Logger): Promise<boolean> {
  for (let tries = 1, wait = recreateBackoffMs.first; current(); tries++, wait = Math.min(wait * 2, recreateBackoffMs.max)) {
    try {
      await recreate();
      return true;
    } catch (err) {
      if (!current()) return false;
      log.error({ err: String(err), tries, retryInMs: wait }, "could not recreate the task queue after reconnecting; retrying");
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return false;
}

/** Writes the announcement whole or not at all, so a reader never sees half of it. */
function announce(file: string, announcement: Record<string, unknown>): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(announcement));
  renameSync(`${file}.tmp`, file);
}

/** `run`, with a failure logged instead of thrown; false when it failed. */
async function attempt(log: Logger, what: string, run: () => Promise<void>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (err) {
    log.error({ err: String(err) }, `${what} failed`);
    return false;
  }
}
