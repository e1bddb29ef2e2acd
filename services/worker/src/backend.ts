/**
 * The seam between a worker and the engine that generates text: `sim`, `replay`, `openai` (vLLM /
 * SGLang / llama.cpp server / TGI / Ollama) and `llama` (in-process GGUF) implement it. An engine
 * fails with an {@link EngineError}, whose `code` the worker sends as the branch's `failure_code`.
 */
import { EngineError } from "@ttc/common";

/** Backends throw it (and import it from here, the seam); the worker reads its `code`. */
export { EngineError };
export type { EngineErrorCode } from "@ttc/common";

export interface GenerationRequest {
  prompt: string;
  systemPrompt: string;
  model: string;
  maxTokens: number;
  seed: number;
  answerFormat: string;
  /** The query's seed and this branch's index (the replay backend picks the recorded branch from them). */
  querySeed: number;
  branchIndex: number;
  /** The query this branch belongs to (engine request ids, e.g. SGLang's `rid`). */
  queryId?: string;
  /** Absolute deadline of the task, milliseconds since the Unix epoch; 0 or absent for none. Retries never go past it. */
  deadlineUnixMs?: number;
  /** Aborted on cancel, prune, deadline or shutdown: the backend must stop generating at once. */
  signal: AbortSignal;
  /** W3C trace context (`traceparent`) to send with the engine's HTTP requests, so its spans join the query's trace. */
  traceHeaders?: Record<string, string>;
}

export type GenerationEvent =
  /**
   * Prompt size, as soon as the backend knows it; `cachedPromptTokens` when the engine reports how many
   * prompt tokens it served from its prefix (KV) cache.
   */
  | { type: "prompt"; promptTokens: number; cachedPromptTokens?: number }
  /** Scores recorded with a replayed trace, passed to the scheduler for the `recorded` verifier. */
  | { type: "recorded"; score?: number; stepScores: number[] }
  /**
   * Newly generated text. `stepEnd` marks the end of a reasoning step (a chunk boundary). When the
   * engine reports them, `logprobs` holds the sampled token's logprob and `topLogprobs` the top-k
   * logprobs, one entry per token (the DeepConf token confidence is computed from the top-k).
   */
  | { type: "tokens"; text: string; tokens: number; stepEnd: boolean; logprobs?: number[]; topLogprobs?: number[][] }
  /** Generation ended on its own. `cachedPromptTokens`: prompt tokens the engine served from its prefix cache. */
  | { type: "end"; finishReason: "stop" | "length"; promptTokens: number; cachedPromptTokens?: number };

export interface Backend {
  readonly name: string;
  /** True when the output is synthetic (no model behind it). */
  readonly synthetic: boolean;
  /**
   * Generates one branch. Ends with an `end` event, or returns early without one when `signal`
   * aborts. Throws an {@link EngineError} on engine failure: its `code` decides how the scheduler
   * answers a query whose every branch failed so, and `retryable` whether a retry before the first
   * token may help (a backend that retries does so itself). Anything else it throws is a bug.
   */
  generate(request: GenerationRequest): AsyncIterable<GenerationEvent>;
  /**
   * False while the engine cannot take work (unreachable, still loading): the worker stops pulling
   * tasks and says `ready: false` in its heartbeats. Absent means always ready.
   */
  ready?(): boolean;
  close(): Promise<void>;
}
