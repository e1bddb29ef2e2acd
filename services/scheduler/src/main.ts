#!/usr/bin/env node
/** Scheduler process entry point: config from the environment, then serve until SIGTERM/SIGINT. */
import { jetstream } from "@nats-io/jetstream";
import { ConfigError, connectNats, createLogger, ensureTaskQueue, startMetricsServer, watchConnection, wireNames } from "@ttc/common";
import { loadSchedulerConfig } from "./config.js";
import { createSchedulerMetrics } from "./metrics.js";
import { Scheduler } from "./scheduler.js";
import { startGrpcServer } from "./server.js";
import { inlineVerifier, remoteVerifier } from "./verifier-client.js";
import { WorkerRegistry } from "./worker-registry.js";

async function main(): Promise<void> {
  const config = loadSchedulerConfig(process.env);
  const log = createLogger("scheduler", config.logLevel).child({ schedulerId: config.schedulerId });
  const names = wireNames(config.namespace);
  const metrics = createSchedulerMetrics();
  const nc = await connectNats(config.natsUrl, `ttc-scheduler-${config.schedulerId}`);
  await ensureTaskQueue(nc, names, config.queue);
  const workers = new WorkerRegistry(config.workerLivenessMs, metrics);
  workers.start(nc, names);
  const verifier = config.verifierMode === "inline" ? inlineVerifier() : remoteVerifier(nc, names, config.verifierTimeoutMs);
  const scheduler = new Scheduler({ nc, js: jetstream(nc), names, config, verifier, metrics, workers, log });
  const grpc = await startGrpcServer(scheduler, log, config.grpcHost, config.grpcPort);
  let serving = true;
  watchConnection(nc, (connected) => {
    log.warn({ connected }, connected ? "NATS connection restored" : "NATS connection lost: NOT_SERVING");
    if (!connected) {
      scheduler.setNatsConnected(false);
      grpc.setServing(false);
      return;
    }
    // A restarted server may have lost the stream (no persistent storage): recreate it before serving again.
    ensureTaskQueue(nc, names, config.queue).then(
      () => {
        scheduler.setNatsConnected(true);
        grpc.setServing(serving);
      },
      (err: unknown) => log.error({ err: String(err) }, "could not recreate the task queue after reconnecting"),
    );
  });
  const metricsServer = await startMetricsServer(metrics.registry, {
    host: config.metricsHost,
    port: config.metricsPort,
    ready: () => serving,
  });
  log.info({ grpc: `${config.grpcHost}:${grpc.port}`, metricsUrl: metricsServer.url, nats: config.natsUrl }, "scheduler ready");

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    serving = false;
    grpc.setServing(false);
    log.info({ signal, inFlight: scheduler.inFlight, graceMs: config.drainGraceMs }, "draining: NOT_SERVING, finishing in-flight queries");
    await scheduler.drain(config.drainGraceMs);
    await grpc.close(2_000);
    workers.stop();
    await nc.drain();
    await metricsServer.close();
    log.info("scheduler stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
