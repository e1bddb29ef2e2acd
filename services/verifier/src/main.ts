#!/usr/bin/env -S node --min-semi-space-size=16
// --min-semi-space-size=16: the young generation at its full size from the start; V8 otherwise doubles it
// in steps under bursts of load, which a soak saw as RSS growth long after warm-up (README: Reliability).
/** Verifier process entry point: scores traces for schedulers over NATS until SIGTERM/SIGINT (the process around it is `runService`). */
import { runService } from "@ttc/common";
import { createEngineVerifiers, loadVerifierConfig } from "./config.js";
import { createVerifierMetrics, VerifierService } from "./verifier-service.js";

await runService(
  {
    name: "verifier",
    loadConfig: loadVerifierConfig,
    createMetrics: createVerifierMetrics,
    async start({ config, log, metrics, nc, names }) {
      const service = new VerifierService(nc, names, metrics, log, { engines: createEngineVerifiers(config) });
      await service.start();
      const { prm, judge } = config;
      return {
        // The engines' addresses and models, never the judge's API key.
        info: {
          verifiers: service.served,
          ...(prm ? { prm: { url: prm.url, model: prm.model, aggregation: prm.aggregation } } : {}),
          ...(judge ? { judge: { url: judge.url, model: judge.model } } : {}),
        },
        drain: () => service.stop(),
      };
    },
  },
  process.env,
);
