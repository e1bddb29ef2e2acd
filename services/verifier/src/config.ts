/** The verifier service's settings (environment, validated once at start-up) and the engine verifiers they configure. */
import { z } from "zod";
import { commonEnv, commonSecrets, withSecretFiles, intVar, parseConfig, serviceSettings, type Env } from "@ttc/common";
import { stepAggregations, type StepAggregation } from "@ttc/policy";
import type { AsyncTraceVerifier } from "./async-verifier.js";
import { JudgeVerifier, type JudgeOptions } from "./engines/judge.js";
import { PrmVerifier, type PrmOptions } from "./engines/prm.js";

/** An optional env var: unset or empty both mean "not set". */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" ? undefined : v), schema.optional());
}

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
  .default("false")
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** The environment the verifier reads. */
export const verifierEnv = z
  .object({
    ...commonEnv,
    TTC_METRICS_PORT: intVar(9103, 0, 65535),
    /** Base URL of a vLLM server running a process reward model; the `prm` verifier is served only when set. */
    TTC_PRM_URL: optional(httpUrl),
    TTC_PRM_MODEL: z.string().min(1).default("Qwen/Qwen2.5-Math-PRM-7B"),
    TTC_PRM_AGGREGATION: z.enum(stepAggregations as [StepAggregation, ...StepAggregation[]]).default("min"),
    TTC_PRM_TIMEOUT_MS: intVar(1_500, 10, 600_000),
    TTC_PRM_BATCH_WINDOW_MS: intVar(5, 0, 1_000),
    TTC_PRM_MAX_BATCH: intVar(16, 1, 1_024),
    /** Base URL of an OpenAI-compatible server; the `judge` verifier is served only when set. */
    TTC_JUDGE_URL: optional(httpUrl),
    TTC_JUDGE_MODEL: optional(z.string().min(1)),
    TTC_JUDGE_API_KEY: optional(z.string()),
    TTC_JUDGE_TIMEOUT_MS: intVar(20_000, 10, 600_000),
    TTC_JUDGE_MAX_TOKENS: intVar(1_024, 1, 131_072),
    TTC_JUDGE_REJECT_INCORRECT: flag,
  })
  .superRefine((c, ctx) => {
    if (c.TTC_JUDGE_URL && !c.TTC_JUDGE_MODEL)
      ctx.addIssue({ code: "custom", path: ["TTC_JUDGE_MODEL"], message: "required when TTC_JUDGE_URL is set" });
  });

export type VerifierConfig = ReturnType<typeof loadVerifierConfig>;

/**
 * The verifier's settings from an environment-style record: `prm` and `judge` are set when their URL
 * is. Throws ConfigError listing every problem.
 */
export function loadVerifierConfig(env: Env) {
  const raw = parseConfig(verifierEnv, withSecretFiles(env, [...commonSecrets, "TTC_JUDGE_API_KEY"]));
  const prm: PrmOptions | undefined = raw.TTC_PRM_URL
    ? {
        url: raw.TTC_PRM_URL,
        model: raw.TTC_PRM_MODEL,
        aggregation: raw.TTC_PRM_AGGREGATION,
        timeoutMs: raw.TTC_PRM_TIMEOUT_MS,
        batchWindowMs: raw.TTC_PRM_BATCH_WINDOW_MS,
        maxBatch: raw.TTC_PRM_MAX_BATCH,
      }
    : undefined;
  const judge: JudgeOptions | undefined = raw.TTC_JUDGE_URL
    ? {
        url: raw.TTC_JUDGE_URL,
        model: raw.TTC_JUDGE_MODEL!,
        ...(raw.TTC_JUDGE_API_KEY ? { apiKey: raw.TTC_JUDGE_API_KEY } : {}),
        timeoutMs: raw.TTC_JUDGE_TIMEOUT_MS,
        maxTokens: raw.TTC_JUDGE_MAX_TOKENS,
        rejectIncorrect: raw.TTC_JUDGE_REJECT_INCORRECT,
      }
    : undefined;
  return { ...serviceSettings(raw), prm, judge };
}

/** The engine verifiers the settings configure: `prm` and `judge` when set. */
export function createEngineVerifiers(c: VerifierConfig): AsyncTraceVerifier[] {
  return [...(c.prm ? [new PrmVerifier(c.prm)] : []), ...(c.judge ? [new JudgeVerifier(c.judge)] : [])];
}
