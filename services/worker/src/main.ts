#!/usr/bin/env node
/** Worker process entry point: config from the environment, then run until SIGTERM/SIGINT. */
import { ConfigError, connectNats, createLogger, ensureTaskQueue, startMetricsServer, watchConnection, wireNames } from "@ttc/common";
import { loadWorkerConfig } from "./config.js";
import { createWorkerMetrics } from "./metrics.js";
import { readCorpus } from "@ttc/corpus";
import type { Backend } from "./backend.js";
import { OpenAIBackend } from "./backends/openai.js";
import { LlamaBackend } from "./backends/llama.js";
import { ReplayBackend } from "./backends/replay.js";
import { SimBackend } from "./backends/sim.js";
import { Worker } from "./worker.js";

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const log = createLogger("worker", config.logLevel).child({ workerId: config.workerId });
  const metrics = createWorkerMetrics();
  const nc = await connectNats(config.natsUrl, `ttc-worker-${config.workerId}`);
  let backend: Backend;
  if (config.backend === "replay") {
    backend = new ReplayBackend(await readCorpus(config.replay.corpus), { tokensPerSecond: config.replay.tokensPerSecond });
  } else if (config.backend === "llama") {
    const llama = new LlamaBackend({ ...config.llama, sequences: config.capacity, log: log.child({ backend: "llama" }) });
    await llama.start(); // throws with the model file's problem: the worker exits with it
    backend = llama;
  } else if (config.backend === "openai") {
    const openai = new OpenAIBackend({ ...config.openai, log: log.child({ backend: "openai" }) });
    // The first probe decides readiness (and the model, when TTC_OPENAI_MODEL is unset); a worker whose
    // engine is still loading starts anyway and pulls tasks once the engine answers.
    await openai.start();
    if (!openai.ready())
      log.warn({ engine: openai.baseURL, reason: openai.problem }, "engine not reachable yet: not taking tasks until it answers");
    backend = openai;
  } else {
    backend = new SimBackend(config.sim);
  }
  const names = wireNames(config.namespace);
  const worker = new Worker(nc, names, backend, metrics, log, {
    workerId: config.workerId,
    capacity: config.capacity,
    heartbeatMs: config.heartbeatMs,
    queue: config.queue,
    drainGraceMs: config.drainGraceMs,
    confidenceWindow: config.confidenceWindow,
  });
  await worker.start();
  watchConnection(nc, (connected) => {
    log.warn({ connected }, connected ? "NATS connection restored" : "NATS connection lost; pulling pauses until it is back");
    // A restarted server may have lost the stream (no persistent storage): recreate it.
    if (connected)
      ensureTaskQueue(nc, names, config.queue).catch((err: unknown) =>
        log.error({ err: String(err) }, "could not recreate the task queue"),
      );
  });
  const metricsServer = await startMetricsServer(metrics.registry, { host: config.metricsHost, port: config.metricsPort });
  log.info({ metricsUrl: metricsServer.url, backend: backend.name, capacity: config.capacity, nats: config.natsUrl }, "worker ready");

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "draining: no new tasks; in-flight branches finish or are handed back");
    await worker.drain();
    await nc.drain();
    await metricsServer.close();
    log.info("worker stopped");
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
