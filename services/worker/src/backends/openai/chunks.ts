/**
 * Pure reading of OpenAI-compatible streaming chunks: `text_completion` chunks (`/v1/completions`)
 * and `chat.completion.chunk` chunks (`/v1/chat/completions`), as vLLM, SGLang, llama.cpp's server,
 * TGI and Ollama send them, and where a delta ends a reasoning step (by @ttc/policy's streaming
 * {@link StepBoundaries}). No I/O.
 *
 * Engines differ in the details, so every field is read defensively: a missing or malformed field
 * means "not reported", never a crash.
 */
import type { StepBoundaries } from "@ttc/policy";

/** One generated token as the engine reported it in its logprobs. */
export interface TokenPiece {
  text: string;
  /** Logprob of the sampled token. */
  logprob?: number;
  /** The top-k logprobs at this position (vLLM's completions dict also holds the sampled token when it is not in the top-k). */
  top: number[];
}

/** The part of a chunk about the generated text. */
export interface ParsedDelta {
  text: string;
  /** Per-token logprobs, when the engine sent them (`null` otherwise). */
  pieces: TokenPiece[] | null;
  finishReason: string | null;
}

/** The engine's token accounting (the final usage chunk, or every chunk with vLLM's `continuous_usage_stats`). */
export interface ParsedUsage {
  promptTokens: number;
  completionTokens: number;
  /** `usage.prompt_tokens_details.cached_tokens`, when reported. */
  cachedPromptTokens?: number;
}

export interface ParsedChunk {
  delta: ParsedDelta | null;
  usage: ParsedUsage | null;
}

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === "object" && x !== null && !Array.isArray(x);
const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
/** Logprobs as the ConfidenceTracker accepts them: finite and ≤ 0 (a hair above 0 is float rounding of a certainty). */
const logprob = (x: unknown): number | undefined => {
  const v = num(x);
  return v === undefined ? undefined : Math.min(0, v);
};

/** `[logprob]` for a usable logprob, `[]` otherwise (for `flatMap`). */
const finiteLogprobs = (x: unknown): number[] => {
  const v = logprob(x);
  return v === undefined ? [] : [v];
};

function firstChoice(chunk: unknown): Json | null {
  if (!isObject(chunk) || !Array.isArray(chunk["choices"])) return null;
  const choice = chunk["choices"].find((c) => isObject(c) && (c["index"] === undefined || c["index"] === 0));
  return isObject(choice) ? choice : null;
}

export function parseUsage(chunk: unknown): ParsedUsage | null {
  if (!isObject(chunk) || !isObject(chunk["usage"])) return null;
  const usage = chunk["usage"];
  const completionTokens = num(usage["completion_tokens"]);
  const promptTokens = num(usage["prompt_tokens"]);
  if (completionTokens === undefined && promptTokens === undefined) return null;
  const details = usage["prompt_tokens_details"];
  const cached = isObject(details) ? num(details["cached_tokens"]) : undefined;
  return {
    promptTokens: promptTokens ?? 0,
    completionTokens: completionTokens ?? 0,
    ...(cached !== undefined ? { cachedPromptTokens: cached } : {}),
  };
}

/** Chat-style per-token logprobs: `[{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]`. */
function contentPieces(content: unknown): TokenPiece[] | null {
  if (!Array.isArray(content)) return null;
  return content.filter(isObject).map((entry) => {
    const lp = logprob(entry["logprob"]);
    const top = Array.isArray(entry["top_logprobs"])
      ? entry["top_logprobs"].flatMap((t) => (isObject(t) ? finiteLogprobs(t["logprob"]) : []))
      : [];
    return { text: typeof entry["token"] === "string" ? entry["token"] : "", ...(lp !== undefined ? { logprob: lp } : {}), top };
  });
}

/** Completions-style logprobs: `{tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}`. */
function completionPieces(logprobs: unknown): TokenPiece[] | null {
  if (!isObject(logprobs)) return null;
  // llama.cpp's server answers /v1/completions with the chat form (`logprobs.content`).
  if (Array.isArray(logprobs["content"])) return contentPieces(logprobs["content"]);
  const tokens = logprobs["tokens"];
  if (!Array.isArray(tokens)) return null;
  const sampled = Array.isArray(logprobs["token_logprobs"]) ? logprobs["token_logprobs"] : [];
  const tops = Array.isArray(logprobs["top_logprobs"]) ? logprobs["top_logprobs"] : [];
  return tokens.map((token, i) => {
    const lp = logprob(sampled[i]);
    const dict = tops[i];
    const top = isObject(dict) ? Object.values(dict).flatMap(finiteLogprobs) : [];
    return { text: typeof token === "string" ? token : "", ...(lp !== undefined ? { logprob: lp } : {}), top };
  });
}

const finishOf = (choice: Json): string | null => (typeof choice["finish_reason"] === "string" ? choice["finish_reason"] : null);

/** A `text_completion` chunk: `choices[0].text`, `choices[0].logprobs`, `choices[0].finish_reason`, `usage`. */
export function parseCompletionChunk(chunk: unknown): ParsedChunk {
  const choice = firstChoice(chunk);
  const delta: ParsedDelta | null = choice
    ? {
        text: typeof choice["text"] === "string" ? choice["text"] : "",
        pieces: completionPieces(choice["logprobs"]),
        finishReason: finishOf(choice),
      }
    : null;
  return { delta, usage: parseUsage(chunk) };
}

/**
 * A `chat.completion.chunk`: `choices[0].delta.content` (plus `reasoning_content` / `reasoning`, where
 * a reasoning parser splits the thinking out), `choices[0].logprobs.content`, `finish_reason`, `usage`.
 */
export function parseChatChunk(chunk: unknown): ParsedChunk {
  const choice = firstChoice(chunk);
  let delta: ParsedDelta | null = null;
  if (choice) {
    const d = isObject(choice["delta"]) ? choice["delta"] : {};
    const text = ["reasoning_content", "reasoning", "content"].map((k) => (typeof d[k] === "string" ? d[k] : "")).join("");
    const logprobs = choice["logprobs"];
    delta = { text, pieces: isObject(logprobs) ? contentPieces(logprobs["content"]) : null, finishReason: finishOf(choice) };
  }
  return { delta, usage: parseUsage(chunk) };
}

/** A run of tokens to emit as one `tokens` event. */
export interface Segment {
  text: string;
  /** Tokens in it, when the engine sent per-token logprobs. */
  pieces: TokenPiece[] | null;
  stepEnd: boolean;
}

/**
 * Cuts a delta at step boundaries, so a chunk never straddles a step even when the engine batches
 * several tokens per delta (vLLM's stream interval, speculative decoding). Cuts fall between tokens,
 * so it needs the per-token texts, and uses them only when they spell the delta exactly (a byte-level
 * token may not); otherwise the delta stays whole.
 */
export function segmentDelta(delta: ParsedDelta, steps: StepBoundaries): Segment[] {
  const { text, pieces } = delta;
  if (!pieces || pieces.length <= 1 || pieces.map((p) => p.text).join("") !== text) {
    if (text === "" && (!pieces || pieces.length === 0)) return [];
    return [{ text, pieces, stepEnd: steps.feed(text) }];
  }
  const out: Segment[] = [];
  let current: TokenPiece[] = [];
  for (const piece of pieces) {
    current.push(piece);
    if (steps.feed(piece.text)) {
      out.push({ text: current.map((p) => p.text).join(""), pieces: current, stepEnd: true });
      current = [];
    }
  }
  if (current.length > 0) out.push({ text: current.map((p) => p.text).join(""), pieces: current, stepEnd: false });
  return out;
}
