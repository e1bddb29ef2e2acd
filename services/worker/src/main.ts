#!/usr/bin/env -S node --min-semi-space-size=16
// --min-semi-space-size=16: the young generation at its full size from the start; V8 otherwise doubles it
// in steps under bursts of load, which a soak saw as RSS growth long after warm-up (README: Reliability).
/** Worker process entry point: runs branch tasks on its backend until SIGTERM/SIGINT (the process around it is `runService`). */
import { runService, type Logger } from "@ttc/common";
import { readCorpus } from "@ttc/corpus";
import type { Backend } from "./backend.js";
import { LlamaBackend } from "./backends/llama.js";
import { OpenAIBackend } from "./backends/openai.js";
import { ReplayBackend } from "./backends/replay.js";
import { SimBackend } from "./backends/sim.js";
import { loadWorkerConfig, type WorkerConfig } from "./config.js";
import { createWorkerMetrics } from "./metrics.js";
import { Worker } from "./worker.js";

/** The engine `TTC_WORKER_BACKEND` names, started. */
async function createBackend(config: WorkerConfig, log: Logger): Promise<Backend> {
  switch (config.backend) {
    case "replay":
      return new ReplayBackend(await readCorpus(config.replay.corpus), { tokensPerSecond: config.replay.tokensPerSecond });
    case "llama": {
      const llama = new LlamaBackend({ ...config.llama, sequences: config.capacity, log: log.child({ backend: "llama" }) });
      await llama.start(); // throws with the model file's problem: the worker exits with it
      return llama;
    }
    case "openai": {
      const openai = new OpenAIBackend({ ...config.openai, log: log.child({ backend: "openai" }) });
      // The first probe decides readiness (and the model, when TTC_OPENAI_MODEL is unset); a worker whose
      // engine is still loading starts anyway and pulls tasks once the engine answers.
      await openai.start();
      if (!openai.ready())
        log.warn({ engine: openai.baseURL, reason: openai.problem }, "engine not reachable yet: not taking tasks until it answers");
      return openai;
    }
    case "sim":
      return new SimBackend(config.sim);
  }
}

await runService(
  {
    name: "worker",
    loadConfig: loadWorkerConfig,
    instanceId: (config) => config.workerId,
    createMetrics: createWorkerMetrics,
    async start({ config, log, metrics, nc, names, readiness }) {
      const backend = await createBackend(config, log);
      const worker = new Worker(nc, names, backend, metrics, log, {
        workerId: config.workerId,
        capacity: config.capacity,
        heartbeatMs: config.heartbeatMs,
        queue: config.queue,
        drainGraceMs: config.drainGraceMs,
        confidenceWindow: config.confidenceWindow,
        limits: config.limits,
      });
      await worker.start();
      // The backend polls its engine already; /readyz asks it at every probe.
      readiness.blockWhile("engine not ready", () => !(backend.ready?.() ?? true));
      return {
        info: { backend: backend.name, capacity: config.capacity },
        // Running branches finish within the drain grace; the rest are handed back to the queue.
        drain: () => worker.drain(),
      };
    },
  },
  process.env,
);
