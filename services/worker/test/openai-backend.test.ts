import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { BranchTask, ChunkKind, type TraceChunk } from "@ttc/proto";
import { lowestGroupConfidence, tailConfidence, tokenConfidence } from "@ttc/policy";
import { EngineError, type GenerationEvent, type GenerationRequest } from "../src/backend.js";
import { OpenAIBackend } from "../src/backends/openai.js";
import type { OpenAIBackendOptions } from "../src/backends/openai/options.js";
import { BranchRun } from "../src/branch-runner.js";
import { FakeOpenAI, readTranscript, type RecordedRequest } from "@ttc/test-harness";

const fixture = (name: string) => new URL(`./fixtures/openai/${name}`, import.meta.url);
const transcript = (name: string) => readTranscript(fixture(name));
const jsonFixture = (name: string) => readFileSync(fixture(name), "utf8");
const model = "Qwen/Qwen2.5-1.5B-Instruct";

/** What a transcript says, read independently of the backend: text and per-token (sampled, top-k) logprobs. */
function expected(name: string) {
  const chunks = transcript(name)
    .map((e) => e.replace(/^data: /, "").trim())
    .filter((d) => d !== "[DONE]")
    .map((d) => JSON.parse(d) as { choices: { text?: string; delta?: { content?: string }; logprobs?: any }[]; usage?: any });
  let text = "";
  const sampled: number[] = [];
  const tops: number[][] = [];
  for (const c of chunks) {
    const choice = c.choices[0];
    if (!choice) continue;
    text += choice.text ?? choice.delta?.content ?? "";
    const lp = choice.logprobs;
    if (lp?.tokens) {
      sampled.push(...(lp.token_logprobs as number[]));
      tops.push(...(lp.top_logprobs as Record<string, number>[]).map((d) => Object.values(d)));
    } else if (lp?.content) {
      for (const t of lp.content as { logprob: number; top_logprobs: { logprob: number }[] }[]) {
        sampled.push(t.logprob);
        tops.push(t.top_logprobs.map((x) => x.logprob));
      }
    }
  }
  return { text, sampled, confidences: tops.map(tokenConfidence), usage: chunks.at(-1)!.usage };
}

let fake: FakeOpenAI;
const backends: OpenAIBackend[] = [];

function backend(options: Partial<OpenAIBackendOptions> = {}): OpenAIBackend {
  const b = new OpenAIBackend({ baseURL: fake.baseURL, model, healthIntervalMs: 0, retryBaseMs: 5, timeoutMs: 5000, ...options });
  backends.push(b);
  return b;
}

function request(over: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    prompt: "A shop sells 17 apples and then 25 more; how many apples did it sell?",
    systemPrompt: "",
    model: "",
    maxTokens: 512,
    seed: 4242,
    answerFormat: "number",
    querySeed: 42,
    branchIndex: 3,
    queryId: "q-7",
    signal: new AbortController().signal,
    ...over,
  };
}

async function collect(b: OpenAIBackend, over: Partial<GenerationRequest> = {}) {
  const events: GenerationEvent[] = [];
  try {
    for await (const e of b.generate(request(over))) events.push(e);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

const tokensOf = (events: GenerationEvent[]) => events.flatMap((e) => (e.type === "tokens" ? [e] : []));
const textOf = (events: GenerationEvent[]) =>
  tokensOf(events)
    .map((e) => e.text)
    .join("");
const countOf = (events: GenerationEvent[]) => tokensOf(events).reduce((n, e) => n + e.tokens, 0);

function branchRun(b: OpenAIBackend, task: Partial<BranchTask> = {}) {
  const chunks: TraceChunk[] = [];
  const run = new BranchRun({
    task: BranchTask.fromPartial({
      queryId: "q-7",
      branchIndex: 3,
      prompt: "p",
      seed: 4242,
      maxTokens: 512,
      chunkTokens: 64,
      traceSubject: "t",
      ...task,
    }),
    attempt: 1,
    workerId: "w-1",
    backend: b,
    publish: (c) => chunks.push(c),
    onTokens: () => {},
    confidenceWindow: 8,
  });
  return { run, chunks };
}

async function until<T>(probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(async () => {
  fake = await FakeOpenAI.start({ models: jsonFixture("vllm-models.json") });
});

afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
  // No stream is left open: the server saw every generation request's connection close.
  await until(() => fake.generations.every((r: RecordedRequest) => r.closedAt !== undefined), 2000);
  await fake.close();
});

describe("openai backend: streaming", () => {
  it("streams a vLLM /v1/completions transcript: text, engine token counts, cached prompt tokens, step ends", async () => {
    fake.enqueue({ kind: "stream", events: transcript("vllm-completions-logprobs.sse") });
    const want = expected("vllm-completions-logprobs.sse");
    const { events, error } = await collect(backend());
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe(want.text);
    expect(countOf(events)).toBe(34);
    expect(events.find((e) => e.type === "prompt")).toEqual({ type: "prompt", promptTokens: 31, cachedPromptTokens: 16 });
    expect(events.at(-1)).toEqual({ type: "end", finishReason: "stop", promptTokens: 31, cachedPromptTokens: 16 });
    // One event per token, except the batched deltas "42\nThe" and " apples.\n\nThe", cut after their newlines.
    const tokens = tokensOf(events);
    expect(tokens.every((e) => e.logprobs?.length === e.tokens && e.topLogprobs?.length === e.tokens)).toBe(true);
    expect(tokens.filter((e) => e.stepEnd).map((e) => e.text)).toEqual([".\n", "42\n", " apples.\n\n"]);
    expect(tokens.find((e) => e.text === "42\n")).toMatchObject({ tokens: 3, stepEnd: true });
    // The sampled token outside the top-5 comes with all six entries vLLM sent.
    expect(tokens.find((e) => e.text === " two")!.topLogprobs![0]).toHaveLength(6);
    expect(tokens.flatMap((e) => e.logprobs!)).toEqual(want.sampled);
  });

  it("sends one streaming request per branch with seed, logprobs, usage, sampling settings and templated extras", async () => {
    fake.enqueue({ kind: "stream", events: transcript("vllm-completions-logprobs.sse") });
    const b = backend({
      apiKey: "sk-test",
      temperature: 0.6,
      topP: 0.95,
      stop: ["</answer>"],
      extraBody: { top_k: 20, min_p: 0.05, vllm_xargs: { branch: "{branch}", query: "{queryId}" }, rid: "{requestId}" },
    });
    await collect(b, { systemPrompt: "Think step by step.", maxTokens: 300 });
    const [req] = fake.generations;
    expect(req!.path).toBe("/v1/completions");
    expect(req!.headers["authorization"]).toBe("Bearer sk-test");
    const requestId = req!.headers["x-request-id"] as string;
    expect(requestId).toMatch(/^q-7-3-[0-9a-f]{8}$/);
    expect(req!.body).toEqual({
      model,
      prompt: "Think step by step.\n\nA shop sells 17 apples and then 25 more; how many apples did it sell?",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 300,
      temperature: 0.6,
      top_p: 0.95,
      seed: 4242,
      stop: ["</answer>"],
      logprobs: 5,
      top_k: 20,
      min_p: 0.05,
      vllm_xargs: { branch: "3", query: "q-7" },
      rid: requestId,
    });
  });

  it("computes the DeepConf confidence from the engine's real top-k (completions), through BranchRun", async () => {
    fake.enqueue({ kind: "stream", events: transcript("vllm-completions-logprobs.sse") });
    const want = expected("vllm-completions-logprobs.sse");
    const { run, chunks } = branchRun(backend());
    expect(await run.run()).toEqual({ kind: "finished", tokens: 34 });
    const last = chunks.at(-1)!;
    expect(last).toMatchObject({ kind: ChunkKind.CHUNK_KIND_FINISHED, finishReason: "stop", tokens: 34, promptTokens: 31 });
    expect(chunks.map((c) => c.text).join("")).toBe(want.text);
    const c = last.confidence!;
    expect(c.tokens).toBe(34);
    expect(c.meanLogprob).toBeCloseTo(want.sampled.reduce((a, b) => a + b, 0) / 34, 10);
    expect(c.lowestGroupConfidence).toBeCloseTo(lowestGroupConfidence(want.confidences, 8), 10);
    expect(c.tailGroupConfidence).toBeCloseTo(tailConfidence(want.confidences, 8), 10);
    // …and not the sampled-token fallback (−logprob of the sampled token alone).
    expect(c.tailGroupConfidence).not.toBeCloseTo(
      tailConfidence(
        want.sampled.map((lp) => -lp),
        8,
      ),
      3,
    );
    // A chunk ends at every step end.
    expect(chunks.filter((ch) => ch.kind === ChunkKind.CHUNK_KIND_PROGRESS).map((ch) => ch.text.at(-1))).toEqual(["\n", "\n", "\n"]);
  });

  it("streams a vLLM /v1/chat/completions transcript with logprobs.content top_logprobs, finishing on length", async () => {
    fake.enqueue({ kind: "stream", events: transcript("vllm-chat-logprobs.sse") });
    const want = expected("vllm-chat-logprobs.sse");
    const { run, chunks } = branchRun(backend({ api: "chat", topLogprobs: 3 }), { systemPrompt: "Be brief.", prompt: "How many?" });
    expect(await run.run()).toEqual({ kind: "finished", tokens: 23 });
    const [req] = fake.generations;
    expect(req!.path).toBe("/v1/chat/completions");
    expect(req!.body).toMatchObject({
      model,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "How many?" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
      top_logprobs: 3,
      seed: 4242,
    });
    const last = chunks.at(-1)!;
    expect(last).toMatchObject({ kind: ChunkKind.CHUNK_KIND_FINISHED, finishReason: "length", tokens: 23, promptTokens: 42 });
    expect(chunks.map((c) => c.text).join("")).toBe(want.text);
    expect(last.confidence!.lowestGroupConfidence).toBeCloseTo(lowestGroupConfidence(want.confidences, 8), 10);
    expect(last.confidence!.tailGroupConfidence).toBeCloseTo(tailConfidence(want.confidences, 8), 10);
  });

  it("without logprobs counts a delta as one token and takes the final count from usage (SGLang)", async () => {
    fake.enqueue({ kind: "stream", events: transcript("sglang-completions-nologprobs.sse") });
    const { events, error } = await collect(backend({ topLogprobs: 0 }));
    expect(error).toBeUndefined();
    expect(fake.generations[0]!.body).not.toHaveProperty("logprobs");
    const tokens = tokensOf(events);
    expect(tokens.slice(0, -1).every((e) => e.tokens === 1 && e.logprobs === undefined)).toBe(true);
    expect(tokens.at(-1)).toEqual({ type: "tokens", text: "", tokens: 12, stepEnd: false }); // 19 from usage − 7 deltas
    expect(countOf(events)).toBe(19);
    expect(textOf(events)).toBe("17 plus 25 makes 42.\nThe shop sold 42 apples.\nAnswer: 42");
    expect(events.at(-1)).toEqual({ type: "end", finishReason: "stop", promptTokens: 25, cachedPromptTokens: 24 });
  });

  it("uses the model the engine lists when neither the task nor the settings name one", async () => {
    fake.enqueue({ kind: "stream", events: transcript("vllm-completions-logprobs.sse") });
    const b = backend({ model: undefined });
    const { error: none } = await collect(b);
    expect(String(none)).toMatch(/no model to ask .* the task names none, TTC_OPENAI_MODEL is unset/);
    expect(await b.healthy()).toBe(true);
    await collect(b);
    expect(fake.generations[0]!.body!["model"]).toBe(model);
    fake.enqueue({ kind: "stream", events: transcript("vllm-completions-logprobs.sse") });
    await collect(b, { model: "task-model" });
    expect(fake.generations[1]!.body!["model"]).toBe("task-model");
  });
});

describe("openai backend: cancel and prune", () => {
  it("a prune aborts the HTTP stream at once: the server sees the connection close, and sends no token after", async () => {
    fake.enqueue({ kind: "stream", events: transcript("vllm-completions-long.sse"), intervalMs: 10 });
    const { run, chunks } = branchRun(backend());
    const done = run.run();
    await until(() => chunks.some((c) => c.tokens >= 10));
    const [stream] = fake.generations;
    const stoppedAt = performance.now();
    run.stop({ reason: "pruned: low confidence", handBack: false });
    await stream!.closed;
    const closeMs = stream!.closedAt! - stoppedAt;
    const sentAtClose = stream!.eventsSent;
    const outcome = await done;
    expect(closeMs).toBeLessThan(100);
    expect(stream!.completed).toBe(false);
    expect(outcome).toMatchObject({ kind: "cancelled", reason: "pruned: low confidence", tokensAfterCancel: 0 });
    const last = chunks.at(-1)!;
    expect(last).toMatchObject({ kind: ChunkKind.CHUNK_KIND_CANCELLED, tokensAfterCancel: 0 });
    expect(last.tokens).toBeLessThanOrEqual(sentAtClose);
    await new Promise((r) => setTimeout(r, 100)); // ten more intervals: nothing more was sent
    expect(stream!.eventsSent).toBe(sentAtClose);
    expect(sentAtClose).toBeLessThan(200);
    expect(fake.generations).toHaveLength(1);
  });

  it("a cancel before the first token closes the request and does not retry", async () => {
    fake.enqueue({ kind: "stream", events: transcript("vllm-completions-long.sse"), firstDelayMs: 10_000 });
    const { run, chunks } = branchRun(backend());
    const done = run.run();
    const stream = await until(() => fake.generations[0]);
    await new Promise((r) => setTimeout(r, 20));
    run.stop({ reason: "query answered", handBack: false });
    await stream.closed;
    expect(await done).toMatchObject({ kind: "cancelled", tokens: 0, tokensAfterCancel: 0 });
    expect(stream.eventsSent).toBe(0);
    expect(chunks.at(-1)!.kind).toBe(ChunkKind.CHUNK_KIND_CANCELLED);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.generations).toHaveLength(1);
  });
});

describe("openai backend: errors and retries", () => {
  it("4xx: an INVALID_ARGUMENT EngineError with the engine's message (vLLM's legacy flat body), never retried", async () => {
    fake.enqueue({ kind: "json", status: 400, body: jsonFixture("vllm-400-context-length.json") });
    const { events, error } = await collect(backend({ maxRetries: 3 }));
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ httpStatus: 400, code: "INVALID_ARGUMENT", retryable: false });
    expect((error as EngineError).message).toMatch(
      /^engine rejected the request \(HTTP 400 BadRequestError\): This model's maximum context length is 2048 tokens/,
    );
    expect(fake.generations).toHaveLength(1);
  });

  it("4xx: an unknown model is FAILED_PRECONDITION; TGI's string error bodies are read too; the branch fails with the message", async () => {
    fake.enqueue({ kind: "json", status: 404, body: jsonFixture("vllm-404-model.json") });
    const notFound = (await collect(backend())).error as EngineError;
    expect(notFound).toMatchObject({
      httpStatus: 404,
      code: "FAILED_PRECONDITION",
      retryable: false,
      message: "engine rejected the request (HTTP 404 NotFoundError): The model `missing-model` does not exist.",
    });

    fake.enqueue({ kind: "json", status: 422, body: jsonFixture("tgi-422-validation.json") });
    const { run, chunks } = branchRun(backend());
    const outcome = await run.run();
    expect(outcome).toMatchObject({
      kind: "failed",
      error: "engine rejected the request (HTTP 422 validation): Input validation error: `top_p` must be > 0.0 and < 1.0",
    });
    expect(chunks.at(-1)).toMatchObject({
      kind: ChunkKind.CHUNK_KIND_FAILED,
      finishReason: outcome.kind === "failed" ? outcome.error : "",
      failureCode: "INVALID_ARGUMENT",
    });
    expect(fake.generations).toHaveLength(2);
  });

  it("5xx before the first token: retried with backoff, then succeeds", async () => {
    const body = jsonFixture("vllm-500.json");
    fake.enqueue(
      { kind: "json", status: 500, body },
      { kind: "json", status: 503, body },
      { kind: "stream", events: transcript("vllm-completions-logprobs.sse") },
    );
    const { events, error } = await collect(backend({ maxRetries: 3, retryBaseMs: 20 }));
    expect(error).toBeUndefined();
    expect(countOf(events)).toBe(34);
    const [a, b, c] = fake.generations;
    expect(b!.receivedAt - a!.receivedAt).toBeGreaterThanOrEqual(9); // 20 ms × jitter ∈ [0.5, 1]
    expect(c!.receivedAt - b!.receivedAt).toBeGreaterThanOrEqual(19); // 40 ms × jitter
    expect(c!.body).toEqual(a!.body);
    expect(new Set(fake.generations.map((r) => r.headers["x-request-id"])).size).toBe(3); // a fresh id per attempt
  });

  it("5xx every time: an UNAVAILABLE EngineError saying the engine failed, after the retries", async () => {
    const body = jsonFixture("vllm-500.json");
    fake.enqueue(...[0, 1, 2].map(() => ({ kind: "json" as const, status: 500, body })));
    const error = (await collect(backend({ maxRetries: 2 }))).error as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ httpStatus: 500, code: "UNAVAILABLE", retryable: true });
    expect(error.message).toBe(
      "engine failed (HTTP 500 InternalServerError): EngineCore encountered an issue. See stack trace (above) for the root cause. (after 3 attempts)",
    );
    expect(fake.generations).toHaveLength(3);
  });

  it("429: retried after the engine's Retry-After", async () => {
    fake.enqueue(
      { kind: "json", status: 429, body: jsonFixture("vllm-429.json"), headers: { "retry-after-ms": "80" } },
      { kind: "stream", events: transcript("vllm-completions-logprobs.sse") },
    );
    const { error } = await collect(backend({ retryBaseMs: 1 }));
    expect(error).toBeUndefined();
    const [a, b] = fake.generations;
    expect(b!.receivedAt - a!.receivedAt).toBeGreaterThanOrEqual(75);
  });

  it("a dropped connection is retried only before the first token", async () => {
    const events = transcript("vllm-completions-logprobs.sse");
    fake.enqueue({ kind: "drop" }, { kind: "stream", events, dropAfter: 0 }, { kind: "stream", events });
    const first = await collect(backend());
    expect(first.error).toBeUndefined();
    expect(countOf(first.events)).toBe(34);
    expect(fake.generations).toHaveLength(3);

    fake.enqueue({ kind: "stream", events, dropAfter: 5 }, { kind: "stream", events });
    const second = await collect(backend({ maxRetries: 3 }));
    expect(second.error).toBeInstanceOf(EngineError);
    expect(second.error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect((second.error as Error).message).toMatch(
      /^engine connection dropped at http:\/\/127\.0\.0\.1:\d+\/v1: terminated \(.*\) after 5 tokens$/,
    );
    expect(countOf(second.events)).toBe(5);
    expect(fake.generations).toHaveLength(4); // not retried: the branch had tokens
  });

  it("an error event mid-stream fails the branch with the engine's message, not retried", async () => {
    fake.enqueue(
      { kind: "stream", events: transcript("vllm-completions-midstream-error.sse") },
      { kind: "stream", events: transcript("vllm-completions-logprobs.sse") },
    );
    const { events, error } = await collect(backend());
    expect(textOf(events)).toBe("We add the");
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect((error as Error).message).toBe(
      "engine failed mid-stream: EngineCore encountered an issue. See stack trace (above) for the root cause. after 3 tokens",
    );
    expect(fake.generations).toHaveLength(1);
  });

  it("a malformed event or a stream that ends without a finish reason fails the branch", async () => {
    const events = transcript("vllm-completions-logprobs.sse");
    fake.enqueue({ kind: "stream", events: [...events.slice(0, 2), "data: {not json\n\n"] });
    const malformed = await collect(backend());
    expect((malformed.error as Error).message).toMatch(/^engine sent malformed data: .*JSON.* after 2 tokens$/);
    expect(fake.generations).toHaveLength(1);

    fake.enqueue({ kind: "stream", events: [...events.slice(0, 3), "data: [DONE]\n\n"] });
    const cut = await collect(backend());
    expect((cut.error as Error).message).toMatch(
      /^engine closed the stream from http:\/\/127\.0\.0\.1:\d+\/v1 before finishing after 3 tokens$/,
    );
    expect(cut.events.some((e) => e.type === "end")).toBe(false);
  });

  it("a stalled stream fails after the timeout; retried only when no token came", async () => {
    const events = transcript("vllm-completions-logprobs.sse");
    fake.enqueue({ kind: "stream", events, stallAfter: 0 }, { kind: "stream", events, stallAfter: 4 });
    const { events: got, error } = await collect(backend({ timeoutMs: 150, maxRetries: 1 }));
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect((error as Error).message).toMatch(
      /^engine stalled: nothing from http:\/\/127\.0\.0\.1:\d+\/v1 for 150 ms \(after 2 attempts\) after 4 tokens$/,
    );
    expect(countOf(got)).toBe(4);
    expect(fake.generations).toHaveLength(2);
    expect(fake.generations.every((r) => !r.completed)).toBe(true);
  });

  it("connection refused: retried, then 'engine unreachable'; never retried past the deadline", async () => {
    const b = backend({ maxRetries: 2 });
    await fake.down();
    const { error } = await collect(b);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect((error as Error).message).toMatch(
      /^engine unreachable at http:\/\/127\.0\.0\.1:\d+\/v1: .*ECONNREFUSED.* \(after 3 attempts\)$/,
    );

    const started = Date.now();
    const late = await collect(backend({ maxRetries: 5, retryBaseMs: 2000 }), { deadlineUnixMs: Date.now() + 500 });
    expect((late.error as Error).message).toMatch(/ECONNREFUSED.*; not retried: the deadline is too near$/);
    expect(Date.now() - started).toBeLessThan(500);
    await fake.up();
  });
});

describe("openai backend: health", () => {
  it("probes GET /v1/models; readiness flips when the engine goes down and comes back", async () => {
    const b = backend({ healthIntervalMs: 30, model: undefined });
    expect(b.ready()).toBe(false); // not before the first probe
    await b.start();
    expect(b.ready()).toBe(true);
    expect(fake.requests.some((r) => r.method === "GET" && r.path === "/v1/models")).toBe(true);

    await fake.down();
    await until(() => !b.ready());
    expect(await b.healthy()).toBe(false);
    await fake.up();
    await until(() => b.ready());

    fake.modelsStatus = 503; // llama.cpp's server while it loads the model
    await until(() => !b.ready());
    fake.modelsStatus = 200;
    await until(() => b.ready());
  });

  it("a request that cannot connect marks the engine not ready at once", async () => {
    const b = backend({ healthIntervalMs: 60_000, maxRetries: 0 });
    await b.start();
    expect(b.ready()).toBe(true);
    await fake.down();
    await collect(b);
    expect(b.ready()).toBe(false);
    await fake.up();
    await until(() => b.ready()); // the probe it started says the engine is back
  });
});
