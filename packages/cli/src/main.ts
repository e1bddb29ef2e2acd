#!/usr/bin/env node
/** The `ttc` command: `ttc up` runs a local cluster, `ttc solve` sends it a query. */
import { Command } from "commander";
import { numberInRange } from "@ttc/client";
import { defaultNamespace } from "@ttc/common";
import { schedulerDefaults } from "@ttc/scheduler";
import { workerDefaults } from "@ttc/worker";
import { numberFlag } from "./flags.js";
import { registerSolveCommand } from "./solve.js";
import { registerShowCommand } from "./show-command.js";
import { registerReplayCommand } from "./replay-command.js";
import { startLocalCluster } from "./local-cluster.js";
import { registerCorpusCommand } from "./corpus-command.js";
import { registerEvalCommand } from "./eval-command.js";
import { registerGoalsCommand } from "./goals-command.js";
import { registerNatsPermissionsCommand } from "./nats-permissions-command.js";

const port = { integer: true, min: 0, max: 65_535 };

const program = new Command("ttc").description("ttc: distributed test-time compute (scheduler, workers, verifiers over NATS)");

registerSolveCommand(program);
registerShowCommand(program);
registerReplayCommand(program);

program
  .command("up")
  .description("run a local cluster: nats-server (unless TTC_NATS_URL is set), a scheduler, sim workers and a verifier")
  .option("--workers <n>", "sim workers", numberFlag({ integer: true, min: 0 }), 2)
  .option("--capacity <n>", "branches per worker at once", numberFlag({ integer: true, min: 1 }), workerDefaults.capacity)
  .option("--schedulers <n>", "schedulers sharing the workers (gRPC on consecutive ports)", numberFlag({ integer: true, min: 1 }), 1)
  .option("--grpc-port <port>", `scheduler gRPC port (default: $TTC_GRPC_PORT, else ${schedulerDefaults.grpcPort})`, numberFlag(port))
  .option(
    "--http-port <port>",
    `OpenAI-compatible HTTP API port of the first scheduler (default: $TTC_HTTP_PORT, else ${schedulerDefaults.httpPort})`,
    numberFlag(port),
  )
  .option(
    "--metrics-port <port>",
    "first metrics port (scheduler; verifier +1; workers after)",
    numberFlag(port),
    schedulerDefaults.metricsPort,
  )
  .option(
    "--tokens-per-second <n>",
    "sim decode speed per branch (0 = as fast as possible)",
    numberFlag({ min: 0 }),
    workerDefaults.simTokensPerSecond,
  )
  .option("--log-dir <dir>", "where service logs go", ".ttc/logs")
  .action(async (o) => {
    const cluster = await startLocalCluster({
      natsUrl: process.env["TTC_NATS_URL"],
      workers: o.workers,
      capacity: o.capacity,
      schedulers: o.schedulers,
      grpcHost: "127.0.0.1",
      grpcPort: o.grpcPort ?? numberInRange(process.env["TTC_GRPC_PORT"] ?? String(schedulerDefaults.grpcPort), port, "TTC_GRPC_PORT"),
      httpPort: o.httpPort ?? numberInRange(process.env["TTC_HTTP_PORT"] ?? String(schedulerDefaults.httpPort), port, "TTC_HTTP_PORT"),
      metricsPort: o.metricsPort,
      namespace: process.env["TTC_NAMESPACE"] ?? defaultNamespace,
      env: { TTC_SIM_TOKENS_PER_SECOND: String(o.tokensPerSecond) },
      logDir: o.logDir,
      supervise: true,
      onRestart: (message) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`),
    });
    const lines = [
      `ttc local cluster is up (sim backend: synthetic traces for demos, not a real model)`,
      `  gRPC (ttc.v1.Scheduler): ${cluster.grpcAddresses.join(", ")}`,
      `  OpenAI-compatible API:   ${cluster.openaiBaseUrls.join(", ")} (model "ttc" or ttc/POLICY[@VERIFIER])`,
      `  NATS:                    ${cluster.natsUrl}${cluster.natsCredentials ? ` (locked down: throw-away nkeys per role in ${cluster.natsCredentials.dir})` : ""}`,
      ...cluster.services.map((s) => `  ${`${s.name} metrics:`.padEnd(25)}${String(s.ready["metricsUrl"])}`),
      `  logs:                    ${o.logDir}/`,
      ``,
      `try:  npx ttc solve "How many marbles are left in sim puzzle 42?" --addr ${cluster.grpcAddress}`,
      `Ctrl-C stops everything.`,
    ];
    console.log(lines.join("\n"));
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping the cluster…`);
      await cluster.stop();
      console.log("stopped.");
      process.exit(0);
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
    // A service that dies is restarted by the cluster's supervisor (printed above as it happens); the
    // rest keep serving, in-flight queries included.
  });

registerCorpusCommand(program);
registerEvalCommand(program);
registerGoalsCommand(program);
registerNatsPermissionsCommand(program);

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
