import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import { StepBoundaries } from "@ttc/policy";
import { redactUrl } from "@ttc/common";
import { EngineError, type Backend, type GenerationEvent, type GenerationRequest } from "../backend.js";
import { parseChatChunk, parseCompletionChunk, segmentDelta, type ParsedUsage } from "./openai/chunks.js";
import { classifyFailure } from "./openai/errors.js";
import { openaiDefaults, type OpenAIBackendOptions } from "./openai/options.js";
import { branchRequestId, extraBodyProblems, requestBody, type SamplingSettings } from "./openai/request.js";

/**
 * The client, reading error bodies that do not use the OpenAI envelope: vLLM's legacy flat
 * `{"object": "error", "message": …}` and TGI's `{"error": "…", "error_type": "…"}`.
 */
class EngineClient extends OpenAI {
  protected override makeStatusError(status: number, error: object, message: string | undefined, headers: Headers) {
    const body = error as Record<string, unknown> | undefined;
    let normalised: object = error;
    if (body && typeof body === "object") {
      if (typeof body["error"] === "string") normalised = { error: { message: body["error"], type: body["error_type"] } };
      else if (!("error" in body) && "message" in body) normalised = { error: body };
    }
    return super.makeStatusError(status, normalised, message, headers);
  }
}

const maxRetryDelayMs = 5000;

/**
 * Drives any OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, TGI, Ollama): one streaming
 * request per branch, with top-k logprobs for the DeepConf confidence and the engine's own token
 * counts. A cancel or prune aborts the HTTP stream at once. Requests that fail before their first
 * token are retried with backoff, never past the task's deadline; a periodic probe of `/models`
 * tells the worker whether to pull tasks.
 */
export class OpenAIBackend implements Backend {
  readonly name = "openai";
  readonly synthetic = false;
  readonly baseURL: string;
  /** The base URL as logs and errors show it: without credentials. */
  private readonly shownURL: string;
  private readonly client: EngineClient;
  private readonly sampling: SamplingSettings;
  private readonly timeoutMs: number;
  private readonly healthIntervalMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private isReady: boolean;
  private lastProblem = "";
  private discoveredModel: string | undefined;
  private probing: Promise<boolean> | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: OpenAIBackendOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, "");
    this.shownURL = redactUrl(this.baseURL);
    const problems = options.extraBody ? extraBodyProblems(options.extraBody) : [];
    if (problems.length > 0) throw new TypeError(`extraBody: ${problems.join("; ")}`);
    this.timeoutMs = options.timeoutMs ?? openaiDefaults.timeoutMs;
    this.healthIntervalMs = options.healthIntervalMs ?? openaiDefaults.healthIntervalMs;
    this.maxRetries = options.maxRetries ?? openaiDefaults.maxRetries;
    this.retryBaseMs = options.retryBaseMs ?? openaiDefaults.retryBaseMs;
    this.sampling = {
      api: options.api ?? openaiDefaults.api,
      topLogprobs: options.topLogprobs ?? openaiDefaults.topLogprobs,
      temperature: options.temperature ?? openaiDefaults.temperature,
      topP: options.topP ?? openaiDefaults.topP,
      ...(options.stop ? { stop: options.stop } : {}),
      ...(options.extraBody ? { extraBody: options.extraBody } : {}),
    };
    // Retries are ours (before the first token only, bounded by the deadline), never the client's.
    // Everything explicit, so no OPENAI_* variable of the environment changes what the engine is sent;
    // the client's own logging is off: failures are reported through the branch and `log`.
    this.client = new EngineClient({
      baseURL: this.baseURL,
      apiKey: options.apiKey ?? openaiDefaults.apiKey,
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: this.timeoutMs,
      logLevel: "off",
    });
    // Not ready until the first probe answers, unless probing is off.
    this.isReady = this.healthIntervalMs === 0;
  }

  /** Probes the engine once (learning its model), then every `healthIntervalMs`. */
  async start(): Promise<void> {
    await this.healthy();
    if (this.healthIntervalMs > 0 && !this.closed) {
      this.healthTimer = setInterval(() => void this.healthy(), this.healthIntervalMs);
      this.healthTimer.unref();
    }
  }

  ready(): boolean {
    return this.isReady;
  }

  /** Why the engine is not ready (or what the last probe warned about); "" when nothing. */
  get problem(): string {
    return this.lastProblem;
  }

  /** Asks the engine now (GET `/models`); updates `ready()` unless probing is off. */
  healthy(): Promise<boolean> {
    this.probing ??= this.probe().finally(() => (this.probing = null));
    return this.probing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
  }

  async *generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    const model = request.model || this.options.model || this.discoveredModel;
    if (!model) {
      throw new EngineError(
        `no model to ask ${this.shownURL} for: the task names none, TTC_OPENAI_MODEL is unset, and the engine listed none at /models`,
        { code: "FAILED_PRECONDITION" },
      );
    }
    for (let attempt = 0; ; attempt++) {
      const progress = { tokens: 0 };
      const requestId = branchRequestId(request);
      try {
        yield* this.stream(request, requestBody(request, model, this.sampling, requestId), requestId, progress);
        return;
      } catch (err) {
        if (request.signal.aborted) return;
        const failure = classifyFailure(err, this.shownURL);
        if (failure.connection) this.markUnreachable(failure.error.message);
        const error = failure.error;
        if (attempt > 0) error.message += ` (after ${attempt + 1} attempts)`;
        if (progress.tokens > 0) {
          error.message += ` after ${progress.tokens} tokens`;
          throw error;
        }
        if (!error.retryable || attempt >= this.maxRetries) throw error;
        const delay = Math.min(maxRetryDelayMs, failure.retryAfterMs ?? this.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2));
        const deadline = request.deadlineUnixMs ?? 0;
        if (deadline > 0 && Date.now() + delay >= deadline) {
          error.message += "; not retried: the deadline is too near";
          throw error;
        }
        try {
          await sleep(delay, undefined, { signal: request.signal });
        } catch {
          return; // stopped while backing off
        }
      }
    }
  }

  /** One streaming request; throws on any failure, returns quietly when `request.signal` aborts. */
  private async *stream(
    request: GenerationRequest,
    body: Record<string, unknown>,
    requestId: string,
    progress: { tokens: number },
  ): AsyncGenerator<GenerationEvent> {
    // The client's timeout covers only the wait for response headers; a stream that goes quiet is caught here.
    const stall = new AbortController();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        stall.abort();
      }, this.timeoutMs);
    };
    const stalledError = () =>
      new EngineError(`engine stalled: nothing from ${this.shownURL} for ${this.timeoutMs} ms`, { code: "UNAVAILABLE" });
    const chat = this.sampling.api === "chat";
    const steps = new StepBoundaries();
    let usage: ParsedUsage | null = null;
    let finish: string | null = null;
    let promptSent = false;
    arm();
    try {
      const options = {
        signal: AbortSignal.any([request.signal, stall.signal]),
        headers: { "X-Request-Id": requestId, ...request.traceHeaders },
      };
      const stream = chat
        ? await this.client.chat.completions.create(body as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming, options)
        : await this.client.completions.create(body as unknown as OpenAI.Completions.CompletionCreateParamsStreaming, options);
      for await (const chunk of stream) {
        arm();
        const parsed = chat ? parseChatChunk(chunk) : parseCompletionChunk(chunk);
        if (parsed.usage) {
          usage = parsed.usage;
          if (!promptSent) {
            promptSent = true;
            yield { type: "prompt", promptTokens: usage.promptTokens, ...cached(usage) };
          }
        }
        if (!parsed.delta) continue;
        for (const segment of segmentDelta(parsed.delta, steps)) {
          const tokens = segment.pieces ? segment.pieces.length : 1;
          progress.tokens += tokens;
          const logprobs = segment.pieces?.map((p) => p.logprob);
          yield {
            type: "tokens",
            text: segment.text,
            tokens,
            stepEnd: segment.stepEnd,
            ...(segment.pieces && logprobs?.every((lp) => lp !== undefined)
              ? { logprobs: logprobs as number[], topLogprobs: segment.pieces.map((p) => p.top) }
              : {}),
          };
        }
        finish = parsed.delta.finishReason ?? finish;
      }
    } catch (err) {
      if (stalled && !request.signal.aborted) throw stalledError();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (request.signal.aborted) return;
    if (stalled) throw stalledError();
    if (finish === null) throw new EngineError(`engine closed the stream from ${this.shownURL} before finishing`, { code: "UNAVAILABLE" });
    // vLLM reports a request it aborted itself (engine shutdown, preemption limits) as finish_reason "abort".
    if (finish === "abort") throw new EngineError(`engine aborted the request (finish_reason "abort")`, { code: "UNAVAILABLE" });
    // The engine's count is the truth: deltas without logprobs were counted one token each.
    if (usage && usage.completionTokens > progress.tokens) {
      yield { type: "tokens", text: "", tokens: usage.completionTokens - progress.tokens, stepEnd: false };
    }
    yield {
      type: "end",
      finishReason: finish === "length" ? "length" : "stop",
      promptTokens: usage?.promptTokens ?? 0,
      ...(usage ? cached(usage) : {}),
    };
  }

  private async probe(): Promise<boolean> {
    let ok: boolean;
    let reason = "";
    try {
      const page = await this.client.models.list({ maxRetries: 0, timeout: Math.min(this.timeoutMs, 10_000) });
      const ids = page.data.map((m) => m.id);
      if (!this.discoveredModel && ids[0]) {
        this.discoveredModel = ids[0];
        if (!this.options.model) this.options.log?.info({ model: ids[0], models: ids }, "engine model discovered");
      }
      if (this.options.model && ids.length > 0 && !ids.includes(this.options.model)) {
        reason = `the engine does not list model ${this.options.model} (it lists ${ids.join(", ")})`;
      }
      ok = true;
    } catch (err) {
      ok = false;
      reason = classifyFailure(err, this.shownURL).error.message;
    }
    this.lastProblem = reason;
    if (this.healthIntervalMs > 0 && !this.closed) this.setReady(ok, reason);
    return ok;
  }

  private setReady(ready: boolean, reason: string): void {
    this.lastProblem = reason;
    if (ready === this.isReady) return;
    this.isReady = ready;
    if (ready) this.options.log?.info({ engine: this.shownURL, ...(reason ? { warning: reason } : {}) }, "engine reachable: taking tasks");
    else this.options.log?.warn({ engine: this.shownURL, reason }, "engine unreachable: not taking tasks until it answers");
  }

  /** A request could not reach the engine: stop taking tasks now, and let a probe say when it is back. */
  private markUnreachable(reason: string): void {
    if (this.healthIntervalMs === 0 || this.closed) return;
    this.setReady(false, reason);
    void this.healthy();
  }
}

function cached(usage: ParsedUsage): { cachedPromptTokens?: number } {
  return usage.cachedPromptTokens !== undefined ? { cachedPromptTokens: usage.cachedPromptTokens } : {};
}
