import { describe, expect, it } from "vitest";
import { loadSchedulerConfig } from "../src/config.js";

describe("scheduler settings", () => {
  it("refuse an empty or non-numeric number instead of reading it as 0, naming each setting", () => {
    const load = () => loadSchedulerConfig({ TTC_MAX_BRANCHES: "", TTC_GRPC_PORT: " ", TTC_MAX_DEADLINE_MS: "1h" });
    expect(load).toThrow("TTC_MAX_BRANCHES: is empty: unset it for the default (256) or give a number");
    expect(load).toThrow("TTC_GRPC_PORT: is empty: unset it for the default (50051) or give a number");
    expect(load).toThrow('TTC_MAX_DEADLINE_MS: "1h" is not a number');
  });

  it("default to the values the README documents", () => {
    const c = loadSchedulerConfig({});
    expect(c).toMatchObject({
      natsUrl: "nats://127.0.0.1:4222",
      namespace: "ttc",
      logLevel: "info",
      metricsHost: "127.0.0.1",
      metricsPort: 9101,
      grpcHost: "127.0.0.1",
      grpcPort: 50051,
      defaults: {
        branches: 16,
        parallelism: 4,
        maxTokens: 2048,
        policy: "adaptive",
        verifier: "arith",
        answerFormat: "text",
        deadlineMs: 120_000,
        mode: "waves",
      },
      limits: {
        maxBranches: 256,
        maxTokensPerBranch: 32_768,
        maxTokenBudget: 2_000_000,
        maxPromptBytes: 65_536,
        maxDeadlineMs: 3_600_000,
        maxConcurrentQueries: 256,
      },
      gangSize: 1,
      chunkTokens: 32,
      cancelSettleMs: 100,
      verifierMode: "remote",
      verifierTimeoutMs: 30_000,
      workerLivenessMs: 3_000,
      drainGraceMs: 10_000,
      queue: { ackWaitSeconds: 30, maxDeliver: 5, maxAgeSeconds: 600 },
    });
  });
});
