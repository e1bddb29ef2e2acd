import { describe, expect, it } from "vitest";
import { ConfigError } from "@ttc/common";
import { createEngineVerifiers, loadVerifierConfig } from "../src/config.js";
import { JudgeVerifier } from "../src/engines/judge.js";
import { PrmVerifier } from "../src/engines/prm.js";

describe("verifier settings", () => {
  it("serves no engine verifier by default, with documented defaults", () => {
    const c = loadVerifierConfig({});
    expect(c).toMatchObject({ natsUrl: "nats://127.0.0.1:4222", namespace: "ttc", metricsHost: "127.0.0.1", metricsPort: 9103 });
    expect(c.prm).toBeUndefined();
    expect(c.judge).toBeUndefined();
    expect(createEngineVerifiers(c)).toEqual([]);
    // An empty variable is the same as an unset one.
    expect(createEngineVerifiers(loadVerifierConfig({ TTC_PRM_URL: "", TTC_JUDGE_URL: "" }))).toEqual([]);
    const engines = loadVerifierConfig({
      TTC_PRM_URL: "http://127.0.0.1:8001",
      TTC_JUDGE_URL: "http://127.0.0.1:8000",
      TTC_JUDGE_MODEL: "m",
    });
    expect(engines.prm).toEqual({
      url: "http://127.0.0.1:8001",
      model: "Qwen/Qwen2.5-Math-PRM-7B",
      aggregation: "min",
      timeoutMs: 1500,
      batchWindowMs: 5,
      maxBatch: 16,
    });
    expect(engines.judge).toEqual({ url: "http://127.0.0.1:8000", model: "m", timeoutMs: 20000, maxTokens: 1024, rejectIncorrect: false });
  });

  it("configures prm and judge from their URLs", () => {
    const engines = createEngineVerifiers(
      loadVerifierConfig({
        TTC_PRM_URL: "http://127.0.0.1:8001",
        TTC_PRM_AGGREGATION: "product",
        TTC_JUDGE_URL: "https://judge.example/v1",
        TTC_JUDGE_MODEL: "judge-model",
        TTC_JUDGE_API_KEY: "sk-x",
        TTC_JUDGE_REJECT_INCORRECT: "true",
      }),
    );
    expect(engines.map((e) => [e.name, e.partial])).toEqual([
      ["prm", true],
      ["judge", false],
    ]);
    expect(engines[0]).toBeInstanceOf(PrmVerifier);
    expect(engines[1]).toBeInstanceOf(JudgeVerifier);
  });

  it("names every bad setting at once", () => {
    let error: unknown;
    try {
      loadVerifierConfig({
        TTC_PRM_URL: "127.0.0.1:8001",
        TTC_PRM_AGGREGATION: "median",
        TTC_PRM_MAX_BATCH: "0",
        TTC_JUDGE_URL: "http://127.0.0.1:8000",
        TTC_JUDGE_REJECT_INCORRECT: "maybe",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/TTC_PRM_URL: must be an http:\/\/ or https:\/\/ URL/);
    expect(problems).toMatch(/TTC_PRM_AGGREGATION: /);
    expect(problems).toMatch(/TTC_PRM_MAX_BATCH: /);
    expect(problems).toMatch(/TTC_JUDGE_REJECT_INCORRECT: must be true or false/);
    // Cross-field checks run once the fields themselves are valid.
    expect(() => loadVerifierConfig({ TTC_JUDGE_URL: "http://127.0.0.1:8000" })).toThrow(
      /TTC_JUDGE_MODEL: required when TTC_JUDGE_URL is set/,
    );
  });
});
