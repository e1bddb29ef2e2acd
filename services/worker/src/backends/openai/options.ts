/**
 * The openai backend's options and their defaults, apart from the backend itself so the worker's
 * settings schema reads the defaults without loading the `openai` client.
 */
import type { OpenAIApi } from "./request.js";

/** Where the backend reports engine health changes (a pino logger fits). */
export interface OpenAIBackendLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OpenAIBackendOptions {
  /** The server's OpenAI API root, e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  /** @default {@link openaiDefaults}.apiKey (what vLLM and SGLang accept when started without a key) */
  apiKey?: string;
  /** Model for tasks that name none. @default the first model the engine lists at `/models` */
  model?: string;
  /** `/completions` (raw prompt) or `/chat/completions` (the engine applies the chat template). @default {@link openaiDefaults}.api */
  api?: OpenAIApi;
  /** Top-k logprobs per token, for the DeepConf confidence; 0 asks for none. @default {@link openaiDefaults}.topLogprobs */
  topLogprobs?: number;
  /** @default {@link openaiDefaults}.temperature */
  temperature?: number;
  /** @default {@link openaiDefaults}.topP */
  topP?: number;
  stop?: readonly string[];
  /** Engine-specific body fields; `{queryId}`, `{branch}` and `{requestId}` in strings are filled per request. */
  extraBody?: Readonly<Record<string, unknown>>;
  /** Longest wait for the response to start, or between two streamed chunks, before the engine counts as failed. @default {@link openaiDefaults}.timeoutMs */
  timeoutMs?: number;
  /** Period of the engine health probe (GET `/models`); 0 turns probing off (always ready). @default {@link openaiDefaults}.healthIntervalMs */
  healthIntervalMs?: number;
  /** Retries of a request that failed before its first token (connection errors, 5xx, 429). @default {@link openaiDefaults}.maxRetries */
  maxRetries?: number;
  /** First retry delay; doubles per retry, with jitter, capped at 5 s. @default {@link openaiDefaults}.retryBaseMs */
  retryBaseMs?: number;
  log?: OpenAIBackendLog;
}

/** The defaults of {@link OpenAIBackendOptions}, written only here (the worker's `TTC_OPENAI_*` settings default to them too). */
export const openaiDefaults: Readonly<
  Required<
    Pick<
      OpenAIBackendOptions,
      "apiKey" | "api" | "topLogprobs" | "temperature" | "topP" | "timeoutMs" | "healthIntervalMs" | "maxRetries" | "retryBaseMs"
    >
  >
> = Object.freeze({
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
