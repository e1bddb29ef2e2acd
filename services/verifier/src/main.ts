#!/usr/bin/env node
/** Verifier process entry point: scores traces for schedulers over NATS until SIGTERM/SIGINT. */
import { z } from "zod";
import { commonEnv, ConfigError, connectNats, createLogger, intVar, parseConfig, startMetricsServer, wireNames } from "@ttc/common";
import { createVerifierMetrics, VerifierService } from "./verifier-service.js";

const verifierEnv = z.object({ ...commonEnv, TTC_METRICS_PORT: intVar(9103, 0, 65535) });

async function main(): Promise<void> {
  const config = parseConfig(verifierEnv, process.env);
  const log = createLogger("verifier", config.TTC_LOG_LEVEL);
  const metrics = createVerifierMetrics();
  const nc = await connectNats(config.TTC_NATS_URL, "ttc-verifier");
  const service = new VerifierService(nc, wireNames(config.TTC_NAMESPACE), metrics, log);
  await service.start();
  const metricsServer = await startMetricsServer(metrics.registry, { host: config.TTC_METRICS_HOST, port: config.TTC_METRICS_PORT });
  log.info({ metricsUrl: metricsServer.url, nats: config.TTC_NATS_URL }, "verifier ready");
  const shutdown = async () => {
    await service.stop();
    await nc.drain();
    await metricsServer.close();
    log.info("verifier stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
