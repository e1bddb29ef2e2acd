import { describe, expect, it } from "vitest";
import { ConfigError } from "@ttc/common";
import { loadWorkerConfig } from "../src/config.js";

describe("worker settings", () => {
  it("default to the values the README documents", () => {
    const c = loadWorkerConfig({});
    expect(c).toMatchObject({
      natsUrl: "nats://127.0.0.1:4222",
      namespace: "ttc",
      logLevel: "info",
      metricsHost: "127.0.0.1",
      metricsPort: 9102,
      announceFile: undefined,
      backend: "sim",
      capacity: 4,
      heartbeatMs: 1000,
      drainGraceMs: 10_000,
      confidenceWindow: 2048,
      queue: { ackWaitSeconds: 30, maxDeliver: 5, maxAgeSeconds: 600 },
      replay: { tokensPerSecond: 0 },
      sim: { tokensPerSecond: 200, meanTokens: 300, lengthSigma: 0.35, pCorrect: 0.6, wrongAnswers: 4, pSlip: 0.6 },
    });
  });

  it("default the openai and llama backends to the values the README documents", () => {
    const c = loadWorkerConfig({});
    expect(c.openai).toEqual({
      baseURL: "",
      apiKey: "EMPTY",
      api: "completions",
      topLogprobs: 5,
      temperature: 0.7,
      topP: 1,
      timeoutMs: 120_000,
      healthIntervalMs: 5000,
      maxRetries: 3,
      retryBaseMs: 250,
    });
    // TTC_LLAMA_THREADS 0 (all cores) leaves `threads` to llama.cpp.
    expect(c.llama).toEqual({
      modelPath: "",
      contextSize: 4096,
      gpu: false,
      temperature: 0.7,
      topK: 40,
      topP: 0.95,
      minP: 0.05,
      topLogprobs: 5,
      template: "auto",
    });
  });

  it("names every bad shared setting at once", () => {
    let error: unknown;
    try {
      loadWorkerConfig({ TTC_NAMESPACE: "a b", TTC_MAX_DELIVER: "0", TTC_DRAIN_GRACE_MS: "-1", TTC_ANNOUNCE_FILE: "" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const named = (error as ConfigError).problems.map((p) => p.split(":")[0]).sort();
    expect(named).toEqual(["TTC_ANNOUNCE_FILE", "TTC_DRAIN_GRACE_MS", "TTC_MAX_DELIVER", "TTC_NAMESPACE"]);
  });
});
