/**
 * OpenAI request bodies (`/v1/chat/completions`, `/v1/completions`) read into a SolveRequest. Pure:
 * no I/O, every refusal an {@link OpenAiError} naming the body field, as the OpenAI API does.
 *
 * The model name picks the strategy: `ttc/POLICY[@VERIFIER][/ENGINE_MODEL]` (`ttc` alone: the
 * scheduler's defaults), any other name is the engine model under the default strategy. `n` is the
 * branch budget (one consensus choice comes back, not n). A `ttc` object in the body (`extra_body`
 * in the Python client) carries the rest of SolveRequest.
 */
import { answerFormatFromLabel, answerFormatNames, ExecutionMode, executionModeFromLabel, type SolveRequest } from "@ttc/proto";
import { z } from "zod";
import { OpenAiError } from "./errors.js";

export type Endpoint = "chat" | "completions";

/** What the front door needs besides the SolveRequest: how to answer. */
export interface OpenAiCall {
  endpoint: Endpoint;
  solve: SolveRequest;
  /** The model name as the caller sent it, echoed in the response. */
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** The message: the winning branch's whole text (`trace`, the default) or the consensus answer alone. */
  content: "trace" | "answer";
  /** How long the caller waits (ms); undefined: the scheduler's default deadline. */
  timeoutMs: number | undefined;
}

const modes = ["waves", "all-parallel", "sequential"] as const;

/** The `ttc` extension object: SolveRequest fields OpenAI has no name for. */
const ttcOptions = z
  .object({
    policy: z.string().max(64).optional(),
    params: z.record(z.string(), z.number()).optional(),
    verifier: z.string().max(64).optional(),
    mode: z.enum(modes).optional(),
    parallelism: z.number().int().min(1).max(100_000).optional(),
    answer_format: z.enum(answerFormatNames).optional(),
    token_budget: z.number().int().min(1).optional(),
    request_id: z.string().min(1).max(128).optional(),
    content: z.enum(["trace", "answer"]).optional(),
    timeout_seconds: z.number().positive().max(86_400).optional(),
  })
  .strict();

const textPart = z.object({ type: z.literal("text"), text: z.string() }).loose();
const message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant"]),
    content: z.union([z.string(), z.array(textPart), z.null()]),
    name: z.string().optional(),
  })
  .loose();

/**
 * Fields OpenAI clients send that ttc accepts without acting on them: sampling is each worker's
 * (its engine's settings and the branch's own seed), and the rest describe the caller, not the work.
 */
const acceptedAndIgnored = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  user: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  store: z.boolean().nullish(),
  service_tier: z.string().nullish(),
  logprobs: z.literal(false).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning_effort: z.string().nullish(),
};

const common = {
  model: z.string().min(1).max(512),
  n: z.number().int().min(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  seed: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullish(),
  ttc: ttcOptions.optional(),
  ...acceptedAndIgnored,
};

const chatBody = z
  .object({
    ...common,
    messages: z.array(message).min(1),
    max_completion_tokens: z.number().int().min(1).nullish(),
  })
  .strict();

const completionBody = z
  .object({
    ...common,
    prompt: z.union([z.string(), z.array(z.string()).length(1)]),
    suffix: z.null().optional(),
    echo: z.literal(false).nullish(),
    best_of: z.number().int().min(1).nullish(),
  })
  .strict();

/** Fields a client may expect to work that ttc cannot honour: refused by name rather than ignored. */
const unsupported: Record<string, string> = {
  tools: "tool calls are not supported: ttc returns one consensus answer",
  tool_choice: "tool calls are not supported: ttc returns one consensus answer",
  functions: "function calls are not supported: ttc returns one consensus answer",
  function_call: "function calls are not supported: ttc returns one consensus answer",
  response_format: "response formats are not supported; use ttc.answer_format to say how answers are compared",
  stop: "stop sequences are not supported: each branch runs to its answer or its max_tokens",
  logit_bias: "logit_bias is not supported",
  top_logprobs: "logprobs are not returned: the answer is a consensus of branches, not one sampled sequence",
  audio: "audio is not supported",
  modalities: "only text is supported",
  prediction: "predicted outputs are not supported",
  web_search_options: "web search is not supported",
};

/** Reads and checks a request body. @throws OpenAiError (400) naming the first bad field. */
export function parseOpenAiRequest(endpoint: Endpoint, body: unknown): OpenAiCall {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw OpenAiError.invalid(null, "the request body must be a JSON object");
  // Unsupported fields sent empty (`tools: []`, `stop: null`, as some clients do) ask for nothing.
  const fields = { ...(body as Record<string, unknown>) };
  for (const [field, why] of Object.entries(unsupported)) {
    const value = fields[field];
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) throw OpenAiError.invalid(field, why);
    delete fields[field];
  }
  const parsed = (endpoint === "chat" ? chatBody : completionBody).safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
    const param = fieldPath(path);
    const message =
      issue.code === "unrecognized_keys"
        ? `unrecognized request argument supplied: ${param}`
        : valueAt(body, path) === undefined
          ? `${param} is required`
          : `${param}: ${issue.message}`;
    throw OpenAiError.invalid(param, message);
  }
  const b = parsed.data;
  const ttc = b.ttc ?? {};
  const strategy = readModel(b.model);
  const content = ttc.content ?? "trace";
  const { prompt, systemPrompt } =
    endpoint === "chat"
      ? chatPrompt((b as z.infer<typeof chatBody>).messages)
      : completionPrompt((b as z.infer<typeof completionBody>).prompt);
  const maxTokens = (endpoint === "chat" ? (b as z.infer<typeof chatBody>).max_completion_tokens : undefined) ?? b.max_tokens;
  if (ttc.policy !== undefined && strategy.policy !== "")
    throw OpenAiError.invalid("ttc.policy", `the model name "${b.model}" already names policy "${strategy.policy}"; give it once`);
  if (ttc.verifier !== undefined && strategy.verifier !== "")
    throw OpenAiError.invalid("ttc.verifier", `the model name "${b.model}" already names verifier "${strategy.verifier}"; give it once`);
  return {
    endpoint,
    model: b.model,
    stream: b.stream ?? false,
    includeUsage: b.stream_options?.include_usage ?? false,
    content,
    timeoutMs: ttc.timeout_seconds === undefined ? undefined : ttc.timeout_seconds * 1000,
    solve: {
      prompt,
      systemPrompt,
      model: strategy.engineModel,
      maxBranches: b.n ?? 0,
      maxTokensPerBranch: maxTokens ?? 0,
      tokenBudget: ttc.token_budget ?? 0,
      policy: { name: ttc.policy ?? strategy.policy, params: ttc.params ?? {} },
      verifier: ttc.verifier ?? strategy.verifier,
      answerFormat: ttc.answer_format ? answerFormatFromLabel(ttc.answer_format)! : 0,
      seed: b.seed ?? 0,
      parallelism: ttc.parallelism ?? 0,
      mode: ttc.mode ? executionModeFromLabel(ttc.mode)! : ExecutionMode.EXECUTION_MODE_UNSPECIFIED,
      requestId: ttc.request_id ?? "",
      includeAnswerTrace: content === "trace",
    },
  };
}

interface Strategy {
  policy: string;
  verifier: string;
  engineModel: string;
}

/** `ttc`, `ttc/POLICY[@VERIFIER]`, `ttc/POLICY[@VERIFIER]/ENGINE_MODEL` (which may hold slashes), or an engine model. */
export function readModel(model: string): Strategy {
  if (model === "ttc") return { policy: "", verifier: "", engineModel: "" };
  if (!model.startsWith("ttc/")) return { policy: "", verifier: "", engineModel: model };
  const rest = model.slice(4);
  const slash = rest.indexOf("/");
  const strategy = slash < 0 ? rest : rest.slice(0, slash);
  const engineModel = slash < 0 ? "" : rest.slice(slash + 1);
  const [policy = "", verifier = "", ...extra] = strategy.split("@");
  if (policy === "" || extra.length > 0 || (strategy.includes("@") && verifier === ""))
    throw OpenAiError.invalid("model", `"${model}" is not ttc/POLICY[@VERIFIER][/MODEL], e.g. ttc/adaptive@rule/Qwen/Qwen3-8B`);
  return { policy, verifier, engineModel };
}

/**
 * System and developer messages become the system prompt; one user message is the prompt as it is;
 * a conversation is written out turn by turn (each branch answers its last user turn).
 */
function chatPrompt(messages: z.infer<typeof message>[]): { prompt: string; systemPrompt: string } {
  const text = (m: z.infer<typeof message>) => (typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text).join(""));
  const system = messages.filter((m) => m.role === "system" || m.role === "developer").map(text);
  const turns = messages.filter((m) => m.role === "user" || m.role === "assistant");
  if (turns.length === 0 || turns.at(-1)!.role !== "user")
    throw OpenAiError.invalid("messages", "the last message (besides system ones) must be the user's: it is the question");
  const prompt =
    turns.length === 1 ? text(turns[0]!) : turns.map((m) => `${m.role === "user" ? "User" : "Assistant"}: ${text(m)}`).join("\n\n");
  return { prompt, systemPrompt: system.join("\n\n") };
}

function completionPrompt(prompt: string | string[]): { prompt: string; systemPrompt: string } {
  return { prompt: Array.isArray(prompt) ? prompt[0]! : prompt, systemPrompt: "" };
}

function valueAt(body: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, p) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[p] : undefined), body);
}

/** `messages[0].content`, as OpenAI names a field in its errors. */
function fieldPath(path: PropertyKey[]): string {
  return path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : s === "" ? String(p) : `${s}.${String(p)}`), "");
}
