#!/usr/bin/env -S node --min-semi-space-size=16
// --min-semi-space-size=16: the young generation at its full size from the start; V8 otherwise doubles it
// in steps under bursts of load, which a soak saw as RSS growth long after warm-up (README: Reliability).
/** Scheduler process entry point: serves the gRPC API until SIGTERM/SIGINT (the process around it is `runService`). */
import { ensureTaskQueue, runService } from "@ttc/common";
import { SchedulerHeartbeat } from "@ttc/proto";
import { jetstreamManager } from "@nats-io/jetstream";
import { loadSchedulerConfig } from "./config.js";
import { createSchedulerMetrics } from "./metrics.js";
import { Scheduler } from "./scheduler.js";
import { callerAuthenticator, startGrpcServer } from "./server.js";
import { startHttpApi } from "./openai/http-server.js";
import { TaskPublisher } from "./task-publisher.js";
import { watchTaskQueue } from "./task-queue-gauge.js";
import { StartPacer } from "./start-pacer.js";
import { loadTenants, noTenants, TenantQuotas } from "./tenants.js";
import { JetStreamAcks } from "./jetstream-acks.js";
import { FairShare } from "./fair-share.js";
import { TraceRouter } from "./trace-router.js";
import { inlineVerifier, remoteVerifier } from "./verifier-client.js";
import { WorkerRegistry } from "./worker-registry.js";
import { RequestRecords } from "./request-records.js";
import { SchedulerPeers } from "./scheduler-peers.js";
import { QueryRecords } from "./query-records.js";

await runService(
  {
    name: "scheduler",
    loadConfig: loadSchedulerConfig,
    instanceId: (config) => config.schedulerId,
    createMetrics: createSchedulerMetrics,
    taskQueue: (config) => config.queue,
    async start({ config, log, metrics, nc, names, readiness }) {
      await ensureTaskQueue(nc, names, config.queue);
      const workers = new WorkerRegistry(config.workerLivenessMs, metrics);
      workers.start(nc, names);
      const verifier =
        config.verifierMode === "inline"
          ? inlineVerifier()
          : remoteVerifier(nc, names, { engineTimeoutMs: config.verifierTimeoutMs, pureTimeoutMs: config.verifierCallTimeoutMs });
      const acks = new JetStreamAcks(nc, names.taskSubject, config.taskPublishing.ackTimeoutMs, names.inboxPrefix("scheduler"));
      const publisher = new TaskPublisher((data, msgID, trace) => acks.publish(data, msgID, trace), config.taskPublishing, {
        retried: () => metrics.taskPublishRetries.inc(),
      });
      metrics.observePublisher(publisher);
      // Workers stop the branches of a scheduler that falls silent: beat from the start until the process ends.
      const beat = () =>
        nc.publish(
          names.schedulerHeartbeatSubject(config.schedulerId),
          SchedulerHeartbeat.encode({
            schedulerId: config.schedulerId,
            intervalMs: config.heartbeatMs,
            sentUnixMs: Date.now(),
            workerLivenessMs: config.workerLivenessMs,
          }).finish(),
        );
      beat();
      const heartbeats = setInterval(beat, config.heartbeatMs);
      const traces = new TraceRouter(metrics);
      traces.start(nc, names, config.schedulerId);
      // Eight starts per event-loop turn: about a millisecond of work each for a 16-branch query.
      const starts = new StartPacer(8);
      const tenants = config.tenantsFile ? loadTenants(config.tenantsFile) : noTenants;
      const quotas = new TenantQuotas(tenants, {
        inFlightChanged: (tenant, inFlight) => metrics.tenantQueriesInFlight.set({ tenant }, inFlight),
        charged: (tenant, tokens) => metrics.tenantGeneratedTokens.inc({ tenant }, tokens),
      });
      const fairShare = new FairShare({
        fleetSlots: () => workers.fleetSlots(),
        weight: (t) => quotas.weight(t),
        backlog: config.dispatchBacklog,
      });
      workers.onJoin(() => fairShare.pump());
      metrics.observeFairShare(fairShare);
      const jsm = await jetstreamManager(nc);
      const records = await RequestRecords.open(
        nc,
        names,
        { ttlMs: config.requestRecordTtlMs, replicas: config.queue.replicas ?? 1 },
        metrics,
        log,
      );
      const queryRecords = config.queryRecords
        ? await QueryRecords.open(nc, names, { ...config.queryRecords, replicas: config.queue.replicas ?? 1 }, metrics, log)
        : undefined;
      const peers = new SchedulerPeers(config.heartbeatMs);
      peers.start(nc, names, metrics);
      const deleteTask = (seq: number) => void jsm.streams.deleteMessage(names.taskStream, seq, false).catch(() => {});
      const scheduler = new Scheduler({
        nc,
        publisher,
        traces,
        starts,
        quotas,
        fairShare,
        deleteTask,
        names,
        config,
        verifier,
        metrics,
        workers,
        records,
        peers,
        queryRecords,
        log,
      });
      workers.onLost((workerId) => {
        log.warn({ workerId }, "worker lost (no heartbeat): dispatching its running branches again");
        scheduler.workerLost(workerId);
      });
      const queueMissing = "task queue missing";
      const queueWatch = watchTaskQueue(nc, names, metrics, {
        lost: () => {
          log.error({ stream: names.taskStream }, "the task stream or its consumer is gone; recreating it");
          readiness.block(queueMissing);
        },
        recreate: () => ensureTaskQueue(nc, names, config.queue),
        restored: () => {
          log.warn({ stream: names.taskStream }, "task queue recreated");
          readiness.unblock(queueMissing);
        },
      });
      const auth = callerAuthenticator(config.tokensFile, config.jwt);
      const grpc = await startGrpcServer(scheduler, log, config.grpcHost, config.grpcPort, {
        tls: config.tls,
        auth,
        reflection: config.reflection,
        queries: { records: queryRecords, schedulerGone: (id) => id !== config.schedulerId && peers.gone(id) },
      });
      const http =
        config.httpPort === undefined
          ? undefined
          : await startHttpApi(scheduler, log, {
              host: config.grpcHost,
              port: config.httpPort,
              tls: config.tls,
              auth,
              // Prompt and system prompt, each JSON-escaped at worst sixfold, plus the rest of the body.
              maxBodyBytes: config.limits.maxPromptBytes * 6 + 65_536,
              counted: (endpoint, status) => metrics.httpRequests.inc({ endpoint, status: String(status) }),
            });
      // gRPC health is the process's readiness: NOT_SERVING while NATS is lost (until the task queue is back) and while draining.
      readiness.onChange((ready) => grpc.setServing(ready));
      return {
        info: { grpc: `${config.grpcHost}:${grpc.port}`, ...(http ? { openaiBaseUrl: http.baseUrl } : {}) },
        // Queries refused while NATS is lost say so (UNAVAILABLE), rather than failing to enqueue.
        natsChanged: (connected) => scheduler.setNatsConnected(connected),
        async drain() {
          log.info({ inFlight: scheduler.inFlight, graceMs: config.drainGraceMs }, "finishing in-flight queries");
          await scheduler.drain(config.drainGraceMs);
          await Promise.all([grpc.close(2_000), http?.close()]);
          workers.stop();
          peers.stop();
          clearInterval(heartbeats);
          queueWatch.stop();
          traces.stop();
          acks.close();
        },
      };
    },
  },
  process.env,
);
