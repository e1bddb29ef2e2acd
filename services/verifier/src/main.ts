#!/usr/bin/env node
/** Verifier process entry point: scores traces for schedulers over NATS until SIGTERM/SIGINT. */
import { ConfigError, connectNats, createLogger, startMetricsServer, wireNames } from "@ttc/common";
import { createEngineVerifiers, loadVerifierConfig } from "./config.js";
import { createVerifierMetrics, VerifierService } from "./verifier-service.js";

async function main(): Promise<void> {
  const config = loadVerifierConfig(process.env);
  const log = createLogger("verifier", config.TTC_LOG_LEVEL);
  const metrics = createVerifierMetrics();
  const engines = createEngineVerifiers(config);
  const nc = await connectNats(config.TTC_NATS_URL, "ttc-verifier");
  const service = new VerifierService(nc, wireNames(config.TTC_NAMESPACE), metrics, log, { engines });
  await service.start();
  const metricsServer = await startMetricsServer(metrics.registry, { host: config.TTC_METRICS_HOST, port: config.TTC_METRICS_PORT });
  log.info(
    {
      metricsUrl: metricsServer.url,
      nats: config.TTC_NATS_URL,
      verifiers: service.served,
      ...(config.TTC_PRM_URL
        ? { prm: { url: config.TTC_PRM_URL, model: config.TTC_PRM_MODEL, aggregation: config.TTC_PRM_AGGREGATION } }
        : {}),
      ...(config.TTC_JUDGE_URL ? { judge: { url: config.TTC_JUDGE_URL, model: config.TTC_JUDGE_MODEL } } : {}),
    },
    "verifier ready",
  );
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
