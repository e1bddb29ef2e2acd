/**
 * The request body of one branch on an OpenAI-compatible server, and the checks on the engine-specific
 * extras a deployment passes through (vLLM's `top_k`, `min_p`, `vllm_xargs`; SGLang's `rid`; …).
 */
import { randomBytes } from "node:crypto";
import type { GenerationRequest } from "../../backend.js";

export type OpenAIApi = "completions" | "chat";

/** Sampling settings shared by every branch (from the worker's configuration). */
export interface SamplingSettings {
  api: OpenAIApi;
  /** Top-k logprobs per token; 0 asks for none. */
  topLogprobs: number;
  temperature: number;
  topP: number;
  stop?: readonly string[];
  extraBody?: Readonly<Record<string, unknown>>;
}

/**
 * Body fields the backend sets itself, which the extras may not override (`stream_options` may be
 * given: it is merged, and `include_usage` stays on). Sampling fields with a setting of their own
 * point there.
 */
export const reservedBodyKeys: Readonly<Record<string, string>> = {
  model: "the task's model or TTC_OPENAI_MODEL",
  prompt: "the task",
  messages: "the task",
  stream: "always true",
  n: "one request per branch",
  best_of: "one request per branch",
  echo: "the trace must be the generated text only",
  max_tokens: "the task's max_tokens",
  max_completion_tokens: "the task's max_tokens",
  seed: "the task's seed",
  logprobs: "TTC_OPENAI_TOP_LOGPROBS",
  top_logprobs: "TTC_OPENAI_TOP_LOGPROBS",
  temperature: "TTC_OPENAI_TEMPERATURE",
  top_p: "TTC_OPENAI_TOP_P",
  stop: "TTC_OPENAI_STOP",
};

/** Problems with an extras object, one line each (empty when it is fine). */
export function extraBodyProblems(extra: unknown): string[] {
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) return ["must be a JSON object"];
  const problems: string[] = [];
  for (const key of Object.keys(extra)) {
    const owner = reservedBodyKeys[key];
    if (owner) problems.push(`"${key}" is set by the backend (${owner}); remove it`);
  }
  const streamOptions = (extra as Record<string, unknown>)["stream_options"];
  if (streamOptions !== undefined && (typeof streamOptions !== "object" || streamOptions === null || Array.isArray(streamOptions))) {
    problems.push(`"stream_options" must be an object`);
  }
  return problems;
}

/**
 * Replaces `{queryId}`, `{branch}` and `{requestId}` in every string of the extras, so a per-branch
 * request id can be configured, e.g. SGLang's `{"rid": "{requestId}"}` or `{"rid": "{queryId}-{branch}"}`.
 */
export function fillTemplate(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === "string") return value.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, vars));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplate(v, vars)]));
  }
  return value;
}

/**
 * The id of one HTTP request of a branch (`X-Request-Id`, `{requestId}` in the extras):
 * `<queryId>-<branch>-<random>`, unique per request, because an engine may still hold an earlier
 * request of the same branch (a retry after a dropped connection, a task redelivered to another
 * worker) and SGLang rejects a duplicate `rid`.
 */
export function branchRequestId(request: GenerationRequest): string {
  return `${request.queryId || "query"}-${request.branchIndex}-${randomBytes(4).toString("hex")}`;
}

/** The streaming request body for one branch. */
export function requestBody(
  request: GenerationRequest,
  model: string,
  s: SamplingSettings,
  requestId = branchRequestId(request),
): Record<string, unknown> {
  const vars = { queryId: request.queryId ?? "", branch: String(request.branchIndex), requestId };
  const extra = (s.extraBody ? fillTemplate(s.extraBody, vars) : {}) as Record<string, unknown>;
  const streamOptions = (extra["stream_options"] as Record<string, unknown> | undefined) ?? {};
  const body: Record<string, unknown> = {
    ...extra,
    model,
    stream: true,
    stream_options: { ...streamOptions, include_usage: true },
    temperature: s.temperature,
    top_p: s.topP,
    seed: request.seed,
  };
  if (request.maxTokens > 0) body["max_tokens"] = request.maxTokens;
  if (s.stop && s.stop.length > 0) body["stop"] = [...s.stop];
  if (s.api === "chat") {
    const messages: { role: "system" | "user"; content: string }[] = [];
    if (request.systemPrompt) messages.push({ role: "system", content: request.systemPrompt });
    messages.push({ role: "user", content: request.prompt });
    body["messages"] = messages;
    if (s.topLogprobs > 0) {
      body["logprobs"] = true;
      body["top_logprobs"] = s.topLogprobs;
    }
  } else {
    // A raw completion has no roles: the system prompt, when there is one, leads the prompt.
    body["prompt"] = request.systemPrompt ? `${request.systemPrompt}\n\n${request.prompt}` : request.prompt;
    if (s.topLogprobs > 0) body["logprobs"] = s.topLogprobs;
  }
  return body;
}
