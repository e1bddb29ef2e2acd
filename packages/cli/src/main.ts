#!/usr/bin/env node
/** The `ttc` command: `ttc up` runs a local cluster, `ttc solve` sends it a query. */
import { Command, InvalidArgumentError } from "commander";
import { runSolve } from "./solve.js";
import { startLocalCluster } from "./local-cluster.js";
import { registerCorpusCommand } from "./corpus-command.js";
import { registerEvalCommand } from "./eval-command.js";
import { registerGoalsCommand } from "./goals-command.js";

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

function num(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError("expected a number");
  return n;
}

const program = new Command("ttc").description("ttc: distributed test-time compute (scheduler, workers, verifiers over NATS)");

program
  .command("solve")
  .description("send one query to a scheduler and watch its branches")
  .argument("<prompt>", "the question")
  .option("--addr <host:port>", "scheduler gRPC address", process.env["TTC_ADDR"] ?? "127.0.0.1:50051")
  .option("--branches <n>", "maximum branches (0 = scheduler default)", int)
  .option("--parallelism <n>", "branches in flight at once (wave width)", int)
  .option("--mode <mode>", "execution mode: waves | all-parallel | sequential")
  .option(
    "--policy <name>",
    "policy: majority | weighted | best-of-n | adaptive | esc | deepconf | prm-beam | spec-reject | first-verified",
  )
  .option("--param <name=value...>", "policy parameter, e.g. threshold=0.9 (repeatable)")
  .option("--verifier <name>", "verifier: none | arith | rule | recorded | confidence")
  .option("--format <fmt>", "answer format: text | number | math | date | choice | game24")
  .option("--max-tokens <n>", "token limit per branch", int)
  .option("--budget <n>", "total token budget for the query", int)
  .option("--seed <n>", "sampling seed (0 = random)", int)
  .option("--system <text>", "system prompt")
  .option("--model <name>", "model name for the workers")
  .option("--timeout <seconds>", "deadline for the call", num, 120)
  .option("--json", "print one machine-readable result instead of progress")
  .action(async (prompt: string, options) => {
    process.exitCode = await runSolve(prompt, options);
  });

program
  .command("up")
  .description("run a local cluster: nats-server (unless TTC_NATS_URL is set), a scheduler, sim workers and a verifier")
  .option("--workers <n>", "sim workers", int, 2)
  .option("--capacity <n>", "branches per worker at once", int, 4)
  .option("--grpc-port <port>", "scheduler gRPC port", int, Number(process.env["TTC_GRPC_PORT"] ?? 50051))
  .option("--metrics-port <port>", "first metrics port (scheduler; verifier +1; workers after)", int, 9101)
  .option("--tokens-per-second <n>", "sim decode speed per branch (0 = as fast as possible)", num, 200)
  .option("--log-dir <dir>", "where service logs go", ".ttc/logs")
  .action(async (o) => {
    const cluster = await startLocalCluster({
      natsUrl: process.env["TTC_NATS_URL"],
      workers: o.workers,
      capacity: o.capacity,
      grpcHost: "127.0.0.1",
      grpcPort: o.grpcPort,
      metricsPort: o.metricsPort,
      namespace: process.env["TTC_NAMESPACE"] ?? "ttc",
      env: { TTC_SIM_TOKENS_PER_SECOND: String(o.tokensPerSecond) },
      logDir: o.logDir,
    });
    const lines = [
      `ttc local cluster is up (sim backend: synthetic traces for demos, not a real model)`,
      `  gRPC (ttc.v1.Scheduler): ${cluster.grpcAddress}`,
      `  NATS:                    ${cluster.natsUrl}`,
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
    for (const s of cluster.services) {
      s.child.once("exit", (code, sig) => {
        if (!stopping) {
          console.error(`${s.name} exited unexpectedly (code ${code}, signal ${sig}); stopping the cluster`);
          void stop("service exit");
        }
      });
    }
  });

registerCorpusCommand(program);
registerEvalCommand(program);
registerGoalsCommand(program);

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
