import { hostname } from "node:os";
import { z } from "zod";
import { commonEnv, intVar, numVar, parseConfig } from "@ttc/common";

/** Every worker setting, read from the environment once at start-up. */
const workerEnv = z.object({
  ...commonEnv,
  /** Name in heartbeats, chunks and logs. */
  TTC_WORKER_ID: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
  /** Engine that generates text: `sim` (synthetic) or `replay` (recorded traces from TTC_REPLAY_CORPUS). */
  TTC_WORKER_BACKEND: z.enum(["sim", "replay"]).default("sim"),
  /** replay backend: a corpus file in the ttc corpus format (JSONL; `ttc corpus import` makes one). */
  TTC_REPLAY_CORPUS: z.string().optional(),
  /** replay backend: emulated decode speed per branch, tokens per second; 0 = as fast as possible. */
  TTC_REPLAY_TOKENS_PER_SECOND: numVar(0, 0, 1_000_000),
  /** Branches generated at once; the worker pulls a task only when a slot is free. */
  TTC_WORKER_CAPACITY: intVar(4, 1, 1024),
  TTC_METRICS_PORT: intVar(9102, 0, 65535),
  TTC_HEARTBEAT_MS: intVar(1000, 50, 60_000),
  /** Seconds a task may go without a progress signal before JetStream redelivers it. */
  TTC_ACK_WAIT_SECONDS: numVar(30, 0.5, 3600),
  TTC_MAX_DELIVER: intVar(5, 1, 100),
  TTC_TASK_MAX_AGE_SECONDS: intVar(600, 10, 86_400),
  /** On SIGTERM, how long in-flight branches may run before they are handed back to the queue. */
  TTC_DRAIN_GRACE_MS: intVar(10_000, 0, 600_000),
  /** Sliding window (and tail) of the DeepConf group confidence computed from logprobs, in tokens. */
  TTC_CONFIDENCE_WINDOW: intVar(2048, 1, 1_000_000),
  /** sim backend: emulated decode speed per branch, tokens per second; 0 = as fast as possible. */
  TTC_SIM_TOKENS_PER_SECOND: numVar(200, 0, 1_000_000),
  TTC_SIM_MEAN_TOKENS: intVar(300, 40, 100_000),
  TTC_SIM_LENGTH_SIGMA: numVar(0.35, 0, 3),
  TTC_SIM_P_CORRECT: numVar(0.6, 0, 1),
  TTC_SIM_WRONG_ANSWERS: intVar(4, 1, 1000),
  TTC_SIM_P_SLIP: numVar(0.6, 0, 1),
});

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

const consistentEnv = workerEnv.superRefine((c, ctx) => {
  if (c.TTC_WORKER_BACKEND === "replay" && !c.TTC_REPLAY_CORPUS) {
    ctx.addIssue({ code: "custom", path: ["TTC_REPLAY_CORPUS"], message: "required with TTC_WORKER_BACKEND=replay: the corpus file to replay" });
  }
});

export function loadWorkerConfig(env: Record<string, string | undefined>) {
  const raw = parseConfig(consistentEnv, env);
  return {
    natsUrl: raw.TTC_NATS_URL,
    namespace: raw.TTC_NAMESPACE,
    logLevel: raw.TTC_LOG_LEVEL,
    metricsHost: raw.TTC_METRICS_HOST,
    metricsPort: raw.TTC_METRICS_PORT,
    workerId: raw.TTC_WORKER_ID ?? `${hostname()}-${process.pid}`,
    backend: raw.TTC_WORKER_BACKEND,
    capacity: raw.TTC_WORKER_CAPACITY,
    heartbeatMs: raw.TTC_HEARTBEAT_MS,
    queue: { ackWaitSeconds: raw.TTC_ACK_WAIT_SECONDS, maxDeliver: raw.TTC_MAX_DELIVER, maxAgeSeconds: raw.TTC_TASK_MAX_AGE_SECONDS },
    drainGraceMs: raw.TTC_DRAIN_GRACE_MS,
    confidenceWindow: raw.TTC_CONFIDENCE_WINDOW,
    replay: { corpus: raw.TTC_REPLAY_CORPUS ?? "", tokensPerSecond: raw.TTC_REPLAY_TOKENS_PER_SECOND },
    sim: {
      tokensPerSecond: raw.TTC_SIM_TOKENS_PER_SECOND,
      meanTokens: raw.TTC_SIM_MEAN_TOKENS,
      lengthSigma: raw.TTC_SIM_LENGTH_SIGMA,
      pCorrect: raw.TTC_SIM_P_CORRECT,
      wrongAnswers: raw.TTC_SIM_WRONG_ANSWERS,
      pSlip: raw.TTC_SIM_P_SLIP,
    },
  };
}
