import { hostname } from "node:os";
import { z } from "zod";
import {
  commonEnv,
  commonSecrets,
  withSecretFiles,
  drainEnv,
  intVar,
  numVar,
  parseConfig,
  serviceSettings,
  taskQueueEnv,
  taskQueueOptions,
  type Env,
} from "@ttc/common";
import { DEFAULT_GROUP_SIZE } from "@ttc/policy";
import { defaultSimOptions } from "@ttc/sim";
import { llamaDefaults } from "./backends/llama.js";
import { openaiDefaults } from "./backends/openai/options.js";
import { extraBodyProblems } from "./backends/openai/request.js";

/**
 * Defaults of the worker settings `ttc up` sets from its flags (`--capacity`, `--tokens-per-second`),
 * written only here: the schema below reads them, and so do the flags.
 */
export const workerDefaults = Object.freeze({ capacity: 4, simTokensPerSecond: 200 });

/** An optional JSON setting: parsed once, checked by `problems` (one message per problem). */
function jsonVar(expected: string, problems: (value: unknown) => string[]) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return undefined;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `not JSON (${err instanceof Error ? err.message : String(err)}); expected ${expected}` });
        return z.NEVER;
      }
      for (const message of problems(value)) ctx.addIssue({ code: "custom", message });
      return value;
    });
}

/** Every worker setting, read from the environment once at start-up. */
const workerEnv = z.object({
  ...commonEnv,
  /** Name in heartbeats (a NATS subject token: its credentials may be bound to it), chunks and logs. */
  TTC_WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "letters, digits, _ and - only (1–128): it is part of the worker's heartbeat subject")
    .optional(),
  /**
   * Engine that generates text: `sim` (synthetic), `replay` (recorded traces from TTC_REPLAY_CORPUS) or
   * `openai` (an OpenAI-compatible server at TTC_OPENAI_BASE_URL: vLLM, SGLang, llama.cpp, TGI, Ollama).
   */
  TTC_WORKER_BACKEND: z.enum(["sim", "replay", "openai", "llama"]).default("sim"),
  /** llama backend: the GGUF model file (node-llama-cpp, in process; one sequence per capacity slot). */
  TTC_LLAMA_MODEL: z.string().optional(),
  /** llama backend: tokens per sequence, prompt plus generation. */
  TTC_LLAMA_CONTEXT: intVar(llamaDefaults.contextSize, 64, 1_048_576),
  /** llama backend: CPU threads; 0 = all cores. */
  TTC_LLAMA_THREADS: intVar(llamaDefaults.threads, 0, 1024),
  /** llama backend: GPU to use, or false for CPU only (the option's `false`, spelled as a string). */
  TTC_LLAMA_GPU: z.enum(["false", "auto", "cuda", "vulkan", "metal"]).default(`${llamaDefaults.gpu}` as const),
  TTC_LLAMA_TEMPERATURE: numVar(llamaDefaults.temperature, 0, 2),
  TTC_LLAMA_TOP_K: intVar(llamaDefaults.topK, 0, 100_000),
  TTC_LLAMA_TOP_P: numVar(llamaDefaults.topP, 0, 1),
  TTC_LLAMA_MIN_P: numVar(llamaDefaults.minP, 0, 1),
  /** llama backend: top-k logprobs per token for DeepConf confidence; 0 = only the sampled token's. */
  TTC_LLAMA_TOP_LOGPROBS: intVar(llamaDefaults.topLogprobs, 0, 100),
  /** llama backend: `auto` uses the model's chat template when it has one; `raw` sends the prompt as is. */
  TTC_LLAMA_TEMPLATE: z.enum(["auto", "raw", "chat"]).default(llamaDefaults.template),
  /** replay backend: a corpus file in the ttc corpus format (JSONL; `ttc corpus import` makes one). */
  TTC_REPLAY_CORPUS: z.string().optional(),
  /** replay backend: emulated decode speed per branch, tokens per second; 0 = as fast as possible. */
  TTC_REPLAY_TOKENS_PER_SECOND: numVar(0, 0, 1_000_000),
  /** openai backend: the server's OpenAI API root, e.g. http://127.0.0.1:8000/v1. */
  TTC_OPENAI_BASE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://127.0.0.1:8000/v1" }).optional(),
  /** openai backend: bearer key; vLLM and SGLang started without --api-key accept anything. */
  TTC_OPENAI_API_KEY: z.string().default(openaiDefaults.apiKey),
  /** openai backend: model for tasks that name none; unset = the first model the engine lists at /models. */
  TTC_OPENAI_MODEL: z.string().min(1).optional(),
  /** openai backend: `completions` (/v1/completions, raw prompt) or `chat` (/v1/chat/completions, the engine's chat template). */
  TTC_OPENAI_API: z.enum(["completions", "chat"]).default(openaiDefaults.api),
  /** openai backend: top-k logprobs per token for the DeepConf confidence; 0 = none. */
  TTC_OPENAI_TOP_LOGPROBS: intVar(openaiDefaults.topLogprobs, 0, 20),
  TTC_OPENAI_TEMPERATURE: numVar(openaiDefaults.temperature, 0, 2),
  TTC_OPENAI_TOP_P: numVar(openaiDefaults.topP, 0, 1),
  /** openai backend: stop sequences, a JSON array of strings. */
  TTC_OPENAI_STOP: jsonVar('an array of strings such as ["</answer>"]', (value) =>
    Array.isArray(value) && value.every((x) => typeof x === "string" && x !== "")
      ? []
      : ['must be a JSON array of non-empty strings such as ["</answer>"]'],
  ).transform((v) => v as string[] | undefined),
  /**
   * openai backend: engine-specific body fields, a JSON object (vLLM: `top_k`, `min_p`, `vllm_xargs`;
   * SGLang: `{"rid": "{requestId}"}`); `{queryId}`, `{branch}` and `{requestId}` (unique per HTTP request)
   * in strings are filled per request.
   */
  TTC_OPENAI_EXTRA_BODY: jsonVar('an object such as {"top_k": 20}', extraBodyProblems).transform(
    (v) => v as Record<string, unknown> | undefined,
  ),
  /** openai backend: longest wait for a response to start or between two streamed chunks. */
  TTC_OPENAI_TIMEOUT_MS: intVar(openaiDefaults.timeoutMs, 100, 3_600_000),
  /** openai backend: period of the engine health probe (GET /models); 0 = no probe, always ready. */
  TTC_OPENAI_HEALTH_INTERVAL_MS: intVar(openaiDefaults.healthIntervalMs, 0, 600_000),
  /** openai backend: retries of a request that failed before its first token (connection errors, 5xx, 429). */
  TTC_OPENAI_MAX_RETRIES: intVar(openaiDefaults.maxRetries, 0, 20),
  /** openai backend: first retry delay; doubles per retry (with jitter), at most 5 s. */
  TTC_OPENAI_RETRY_BASE_MS: intVar(openaiDefaults.retryBaseMs, 1, 60_000),
  /** The most tokens a task may ask for per branch; a task asking more is refused. */
  TTC_MAX_TOKENS_PER_BRANCH: intVar(32_768, 1, 10_000_000),
  /** The most branches one task (a gang) may carry. */
  TTC_MAX_GANG_SIZE: intVar(256, 1, 4096),
  /** How far ahead a task's deadline may be. */
  TTC_MAX_DEADLINE_MS: intVar(3_600_000, 100, 86_400_000),
  /** Branches generated at once; the worker pulls a task only when a slot is free. */
  TTC_WORKER_CAPACITY: intVar(workerDefaults.capacity, 1, 1024),
  TTC_METRICS_PORT: intVar(9102, 0, 65535),
  TTC_HEARTBEAT_MS: intVar(1000, 50, 60_000),
  ...taskQueueEnv,
  ...drainEnv,
  /** Sliding window (and tail) of the DeepConf group confidence computed from logprobs, in tokens. */
  TTC_CONFIDENCE_WINDOW: intVar(DEFAULT_GROUP_SIZE, 1, 1_000_000),
  /** sim backend: emulated decode speed per branch, tokens per second; 0 = as fast as possible. */
  TTC_SIM_TOKENS_PER_SECOND: numVar(workerDefaults.simTokensPerSecond, 0, 1_000_000),
  /** sim backend: the generator's knobs (`SimOptions`), with its defaults. */
  TTC_SIM_MEAN_TOKENS: intVar(defaultSimOptions.meanTokens, 40, 100_000),
  TTC_SIM_LENGTH_SIGMA: numVar(defaultSimOptions.lengthSigma, 0, 3),
  TTC_SIM_P_CORRECT: numVar(defaultSimOptions.pCorrect, 0, 1),
  TTC_SIM_WRONG_ANSWERS: intVar(defaultSimOptions.wrongAnswers, 1, 1000),
  TTC_SIM_P_SLIP: numVar(defaultSimOptions.pSlip, 0, 1),
});

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

const consistentEnv = workerEnv.superRefine((c, ctx) => {
  if (c.TTC_WORKER_BACKEND === "replay" && !c.TTC_REPLAY_CORPUS) {
    ctx.addIssue({
      code: "custom",
      path: ["TTC_REPLAY_CORPUS"],
      message: "required with TTC_WORKER_BACKEND=replay: the corpus file to replay",
    });
  }
  if (c.TTC_WORKER_BACKEND === "llama" && !c.TTC_LLAMA_MODEL) {
    ctx.addIssue({
      code: "custom",
      path: ["TTC_LLAMA_MODEL"],
      message: "required with TTC_WORKER_BACKEND=llama: the path of a GGUF model file",
    });
  }
  if (c.TTC_WORKER_BACKEND === "openai" && !c.TTC_OPENAI_BASE_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["TTC_OPENAI_BASE_URL"],
      message: "required with TTC_WORKER_BACKEND=openai: the server's API root, e.g. http://127.0.0.1:8000/v1",
    });
  }
});

/** The worker's settings from an environment-style record. Throws ConfigError listing every problem. */
export function loadWorkerConfig(env: Env) {
  const raw = parseConfig(consistentEnv, withSecretFiles(env, [...commonSecrets, "TTC_OPENAI_API_KEY"]));
  return {
    ...serviceSettings(raw),
    workerId: raw.TTC_WORKER_ID ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, "-")}-${process.pid}`,
    backend: raw.TTC_WORKER_BACKEND,
    capacity: raw.TTC_WORKER_CAPACITY,
    heartbeatMs: raw.TTC_HEARTBEAT_MS,
    queue: taskQueueOptions(raw),
    drainGraceMs: raw.TTC_DRAIN_GRACE_MS,
    confidenceWindow: raw.TTC_CONFIDENCE_WINDOW,
    limits: {
      maxTokensPerBranch: raw.TTC_MAX_TOKENS_PER_BRANCH,
      maxGangSize: raw.TTC_MAX_GANG_SIZE,
      maxDeadlineMs: raw.TTC_MAX_DEADLINE_MS,
    },
    llama: {
      modelPath: raw.TTC_LLAMA_MODEL ?? "",
      contextSize: raw.TTC_LLAMA_CONTEXT,
      ...(raw.TTC_LLAMA_THREADS > 0 ? { threads: raw.TTC_LLAMA_THREADS } : {}),
      gpu: raw.TTC_LLAMA_GPU === "false" ? (false as const) : raw.TTC_LLAMA_GPU,
      temperature: raw.TTC_LLAMA_TEMPERATURE,
      topK: raw.TTC_LLAMA_TOP_K,
      topP: raw.TTC_LLAMA_TOP_P,
      minP: raw.TTC_LLAMA_MIN_P,
      topLogprobs: raw.TTC_LLAMA_TOP_LOGPROBS,
      template: raw.TTC_LLAMA_TEMPLATE,
    },
    replay: { corpus: raw.TTC_REPLAY_CORPUS ?? "", tokensPerSecond: raw.TTC_REPLAY_TOKENS_PER_SECOND },
    openai: {
      baseURL: raw.TTC_OPENAI_BASE_URL ?? "",
      apiKey: raw.TTC_OPENAI_API_KEY,
      ...(raw.TTC_OPENAI_MODEL ? { model: raw.TTC_OPENAI_MODEL } : {}),
      api: raw.TTC_OPENAI_API,
      topLogprobs: raw.TTC_OPENAI_TOP_LOGPROBS,
      temperature: raw.TTC_OPENAI_TEMPERATURE,
      topP: raw.TTC_OPENAI_TOP_P,
      ...(raw.TTC_OPENAI_STOP ? { stop: raw.TTC_OPENAI_STOP } : {}),
      ...(raw.TTC_OPENAI_EXTRA_BODY ? { extraBody: raw.TTC_OPENAI_EXTRA_BODY } : {}),
      timeoutMs: raw.TTC_OPENAI_TIMEOUT_MS,
      healthIntervalMs: raw.TTC_OPENAI_HEALTH_INTERVAL_MS,
      maxRetries: raw.TTC_OPENAI_MAX_RETRIES,
      retryBaseMs: raw.TTC_OPENAI_RETRY_BASE_MS,
    },
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
