import { describe, expect, it } from "vitest";
import { ConfigError } from "@ttc/common";
import { StepBoundaries } from "@ttc/policy";
import { parseChatChunk, parseCompletionChunk, segmentDelta, type ParsedDelta } from "../src/backends/openai/chunks.js";
import { extraBodyProblems, fillTemplate, requestBody } from "../src/backends/openai/request.js";
import type { GenerationRequest } from "../src/backend.js";
import { loadWorkerConfig } from "../src/config.js";
import { readTranscript } from "@ttc/test-harness";

const fixture = (name: string) => new URL(`./fixtures/openai/${name}`, import.meta.url);
const dataOf = (events: string[]) =>
  events
    .map((e) => e.replace(/^data: /, "").trim())
    .filter((d) => d !== "[DONE]")
    .map((d) => JSON.parse(d) as unknown);

describe("reading streamed chunks", () => {
  it("reads a vLLM text_completion chunk: text, tokens, sampled and top-k logprobs (sampled token added past the top-k)", () => {
    const chunks = dataOf(readTranscript(fixture("vllm-completions-logprobs.sse")));
    const fourth = parseCompletionChunk(chunks[3]);
    expect(fourth.usage).toBeNull();
    expect(fourth.delta).toMatchObject({ text: " two", finishReason: null });
    expect(fourth.delta!.pieces).toHaveLength(1);
    const piece = fourth.delta!.pieces![0]!;
    expect(piece.text).toBe(" two");
    expect(piece.logprob).toBe(-2.9405);
    // vLLM's dict holds the top 5 and the sampled token, which was not among them.
    expect(piece.top).toHaveLength(6);
    expect(piece.top).toContain(-2.9405);
    const batched = chunks.map(parseCompletionChunk).find((c) => (c.delta?.pieces?.length ?? 0) > 1)!;
    expect(batched.delta!.pieces!.map((p) => p.text).join("")).toBe(batched.delta!.text);
  });

  it("reads the final usage chunk (choices: []) with cached prompt tokens", () => {
    const chunks = dataOf(readTranscript(fixture("vllm-completions-logprobs.sse")));
    const last = parseCompletionChunk(chunks.at(-1));
    expect(last).toEqual({ delta: null, usage: { promptTokens: 31, completionTokens: 34, cachedPromptTokens: 16 } });
    expect(parseCompletionChunk(chunks.at(-2)).delta!.finishReason).toBe("stop");
    // prompt_tokens_details: null (vLLM without --enable-prompt-tokens-details) → no cached count
    const long = dataOf(readTranscript(fixture("vllm-completions-long.sse")));
    expect(parseCompletionChunk(long.at(-1)).usage).toEqual({ promptTokens: 12, completionTokens: 200 });
  });

  it("reads chat.completion.chunk: the role chunk has no text, content chunks carry logprobs.content[].top_logprobs", () => {
    const chunks = dataOf(readTranscript(fixture("vllm-chat-logprobs.sse")));
    expect(parseChatChunk(chunks[0])).toEqual({ delta: { text: "", pieces: null, finishReason: null }, usage: null });
    const first = parseChatChunk(chunks[1]).delta!;
    expect(first.text).toBe("First");
    expect(first.pieces).toEqual([{ text: "First", logprob: -0.9059, top: [-0.9059, -1.8113, -3.6146] }]);
    expect(parseChatChunk(chunks.at(-2)).delta!.finishReason).toBe("length");
    expect(parseChatChunk(chunks.at(-1)).usage).toEqual({ promptTokens: 42, completionTokens: 23, cachedPromptTokens: 32 });
  });

  it("reads chunks without logprobs, llama.cpp's chat-form logprobs on /completions, and reasoning deltas", () => {
    const sglang = dataOf(readTranscript(fixture("sglang-completions-nologprobs.sse")));
    expect(parseCompletionChunk(sglang[0]).delta).toEqual({ text: "17 plus", pieces: null, finishReason: null });
    const llamacpp = {
      choices: [
        {
          index: 0,
          text: " 4",
          finish_reason: null,
          logprobs: {
            content: [
              {
                id: 220,
                token: " 4",
                logprob: -0.5,
                bytes: [32, 52],
                top_logprobs: [
                  { token: " 4", logprob: -0.5 },
                  { token: " 5", logprob: -1.2 },
                ],
              },
            ],
          },
        },
      ],
    };
    expect(parseCompletionChunk(llamacpp).delta!.pieces).toEqual([{ text: " 4", logprob: -0.5, top: [-0.5, -1.2] }]);
    const reasoning = { choices: [{ index: 0, delta: { reasoning_content: "think\n" }, logprobs: null, finish_reason: null }] };
    expect(parseChatChunk(reasoning).delta!.text).toBe("think\n");
  });

  it("treats malformed fields as not reported, and clamps float noise above 0", () => {
    expect(parseCompletionChunk(null)).toEqual({ delta: null, usage: null });
    expect(parseCompletionChunk({ choices: "x", usage: 3 })).toEqual({ delta: null, usage: null });
    const odd = {
      choices: [{ text: "a", logprobs: { tokens: ["a"], token_logprobs: [1e-9], top_logprobs: [{ a: 1e-9, b: null, c: "x" }] } }],
    };
    expect(parseCompletionChunk(odd).delta!.pieces).toEqual([{ text: "a", logprob: 0, top: [0] }]);
  });
});

describe("segmentDelta", () => {
  it("cuts a multi-token delta between tokens, and keeps a delta whole when its tokens do not spell it", () => {
    const delta: ParsedDelta = {
      text: "42\nThe",
      pieces: [
        { text: "4", logprob: -0.1, top: [-0.1] },
        { text: "2", logprob: -0.2, top: [-0.2] },
        { text: "\n", logprob: -0.3, top: [-0.3] },
        { text: "The", logprob: -0.4, top: [-0.4] },
      ],
      finishReason: null,
    };
    const segments = segmentDelta(delta, new StepBoundaries());
    expect(segments.map((s) => [s.text, s.pieces?.length, s.stepEnd])).toEqual([
      ["42\n", 3, true],
      ["The", 1, false],
    ]);
    const bytesTokens: ParsedDelta = {
      text: "é\n",
      pieces: [
        { text: "bytes:\\xc3", top: [] },
        { text: "bytes:\\xa9\n", top: [] },
      ],
      finishReason: null,
    };
    expect(segmentDelta(bytesTokens, new StepBoundaries()).map((s) => [s.text, s.pieces?.length, s.stepEnd])).toEqual([["é\n", 2, true]]);
    expect(segmentDelta({ text: "", pieces: null, finishReason: "stop" }, new StepBoundaries())).toEqual([]);
  });
});

describe("request body", () => {
  const request: GenerationRequest = {
    prompt: "How many?",
    systemPrompt: "Think step by step.",
    model: "",
    maxTokens: 256,
    seed: 1234567890123,
    answerFormat: "number",
    querySeed: 7,
    branchIndex: 3,
    queryId: "q-abc",
    signal: new AbortController().signal,
  };

  it("completions: prompt led by the system prompt, logprobs: k, usage on, extras templated", () => {
    const body = requestBody(
      request,
      "m",
      {
        api: "completions",
        topLogprobs: 5,
        temperature: 0.6,
        topP: 0.95,
        stop: ["</answer>"],
        extraBody: {
          top_k: 20,
          rid: "{queryId}-{branch}",
          stream_options: { continuous_usage_stats: true },
          vllm_xargs: { tag: "{requestId}" },
        },
      },
      "q-abc-3-0badcafe",
    );
    expect(body).toEqual({
      model: "m",
      prompt: "Think step by step.\n\nHow many?",
      stream: true,
      stream_options: { continuous_usage_stats: true, include_usage: true },
      max_tokens: 256,
      temperature: 0.6,
      top_p: 0.95,
      seed: 1234567890123,
      stop: ["</answer>"],
      logprobs: 5,
      top_k: 20,
      rid: "q-abc-3",
      vllm_xargs: { tag: "q-abc-3-0badcafe" },
    });
  });

  it("chat: system and user messages, logprobs: true with top_logprobs: k; none asked for k = 0", () => {
    const body = requestBody(request, "m", { api: "chat", topLogprobs: 3, temperature: 0.7, topP: 1 });
    expect(body["messages"]).toEqual([
      { role: "system", content: "Think step by step." },
      { role: "user", content: "How many?" },
    ]);
    expect(body).toMatchObject({ logprobs: true, top_logprobs: 3, stream_options: { include_usage: true } });
    const none = requestBody({ ...request, systemPrompt: "" }, "m", { api: "chat", topLogprobs: 0, temperature: 0.7, topP: 1 });
    expect(none["messages"]).toEqual([{ role: "user", content: "How many?" }]);
    expect(none).not.toHaveProperty("logprobs");
    expect(none).not.toHaveProperty("top_logprobs");
  });

  it("rejects extras that would override what the backend sets", () => {
    expect(extraBodyProblems({ top_k: 20, min_p: 0.05 })).toEqual([]);
    expect(extraBodyProblems([1])).toEqual(["must be a JSON object"]);
    expect(extraBodyProblems({ seed: 1, logprobs: 2, stream_options: 3 })).toEqual([
      '"seed" is set by the backend (the task\'s seed); remove it',
      '"logprobs" is set by the backend (TTC_OPENAI_TOP_LOGPROBS); remove it',
      '"stream_options" must be an object',
    ]);
    expect(fillTemplate({ a: ["{branch}", "{unknown}"], b: 1 }, { branch: "2" })).toEqual({ a: ["2", "{unknown}"], b: 1 });
  });
});

describe("openai backend configuration", () => {
  const base = { TTC_WORKER_BACKEND: "openai", TTC_OPENAI_BASE_URL: "http://127.0.0.1:8000/v1" };

  it("has the documented defaults", () => {
    expect(loadWorkerConfig(base).openai).toEqual({
      baseURL: "http://127.0.0.1:8000/v1",
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
  });

  it("parses the JSON settings", () => {
    const c = loadWorkerConfig({
      ...base,
      TTC_OPENAI_STOP: '["</answer>", "\\n\\n\\n"]',
      TTC_OPENAI_EXTRA_BODY: '{"top_k": 20, "rid": "{queryId}-{branch}"}',
      TTC_OPENAI_API: "chat",
      TTC_OPENAI_MODEL: "Qwen/Qwen3-8B",
    });
    expect(c.openai).toMatchObject({
      stop: ["</answer>", "\n\n\n"],
      extraBody: { top_k: 20, rid: "{queryId}-{branch}" },
      api: "chat",
      model: "Qwen/Qwen3-8B",
    });
  });

  it("fails at start-up listing every problem", () => {
    let error: unknown;
    try {
      loadWorkerConfig({
        TTC_WORKER_BACKEND: "openai",
        TTC_OPENAI_STOP: "[1]",
        TTC_OPENAI_EXTRA_BODY: '{"seed": 1',
        TTC_OPENAI_API: "responses",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/TTC_OPENAI_STOP: must be a JSON array of non-empty strings/);
    expect(problems).toMatch(/TTC_OPENAI_EXTRA_BODY: not JSON/);
    expect(problems).toMatch(/TTC_OPENAI_API:/);
    expect(() => loadWorkerConfig({ TTC_WORKER_BACKEND: "openai" })).toThrow(
      /TTC_OPENAI_BASE_URL: required with TTC_WORKER_BACKEND=openai/,
    );
    expect(() => loadWorkerConfig({ ...base, TTC_OPENAI_EXTRA_BODY: '{"temperature": 0}' })).toThrow(
      /"temperature" is set by the backend \(TTC_OPENAI_TEMPERATURE\)/,
    );
    expect(() => loadWorkerConfig({ ...base, TTC_OPENAI_BASE_URL: "127.0.0.1:8000" })).toThrow(
      /TTC_OPENAI_BASE_URL: must be an http\(s\) URL/,
    );
  });
});
