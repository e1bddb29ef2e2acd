import { spawnSync } from "node:child_process";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionMode } from "@ttc/proto";
import { request, scrape, startTestCluster, type TestCluster } from "@ttc/test-harness";

/** The `ttc` object the front door adds to responses and chunks. */
interface TtcSummary {
  query_id: string;
  answer: string;
  support: number;
  votes: { answer: string; count: number; weight: number }[];
  stop_reason: string;
  seed: number;
}

/**
 * The OpenAI-compatible HTTP API of a running cluster, through the official `openai` client and curl:
 * the same query as over gRPC gives the same consensus, streaming sends the consensus as it forms,
 * and errors come in OpenAI's shape with the right HTTP status.
 */
describe("the OpenAI-compatible front door", () => {
  let c: TestCluster;
  let openai: OpenAI;
  let baseUrl: string;
  beforeAll(async () => {
    c = await startTestCluster({
      workers: 2,
      env: { TTC_SIM_TOKENS_PER_SECOND: "400", TTC_SIM_MEAN_TOKENS: "300", TTC_MAX_CONCURRENT_QUERIES: "3" },
    });
    baseUrl = c.cluster.openaiBaseUrls[0]!;
    // No tokens configured: every caller is `anonymous`, and the client needs some key to send.
    openai = new OpenAI({ baseURL: baseUrl, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => c?.stop());

  const query = { seed: 7, maxBranches: 4, parallelism: 4, mode: ExecutionMode.EXECUTION_MODE_ALL_PARALLEL };
  const body = {
    model: "ttc/majority@arith",
    messages: [{ role: "user" as const, content: "sim puzzle 1" }],
    n: 4,
    seed: 7,
    ttc: { mode: "all-parallel", parallelism: 4 },
  };

  it("lists ttc and a ttc/POLICY model per policy", async () => {
    const ids = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toContain("ttc");
    expect(ids).toContain("ttc/adaptive");
    expect(ids).toContain("ttc/prm-beam");
    expect((await openai.models.retrieve("ttc/adaptive")).owned_by).toBe("ttc");
    expect((await openai.models.retrieve("Qwen/Qwen3-8B")).id).toBe("Qwen/Qwen3-8B");
    const unknown = (await openai.models.retrieve("ttc/vibes").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(unknown.status).toBe(404);
  });

  it("answers a chat completion with the same consensus as gRPC Solve, billing the whole query", async () => {
    const grpc = await c.client.solve(request({ ...query, policy: { name: "majority", params: {} }, verifier: "arith" }));
    const completion = await openai.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const ttc = (completion as unknown as { ttc: TtcSummary }).ttc;
    expect(grpc.answer).not.toBe("");
    expect(ttc.answer).toBe(grpc.answer);
    expect(ttc.votes).toEqual(grpc.votes.map((v) => ({ answer: v.answer, count: v.count, weight: v.weight })));
    expect(ttc.seed).toBe(7);
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toBe(`chatcmpl-${ttc.query_id}`);
    expect(completion.model).toBe("ttc/majority@arith");
    const choice = completion.choices[0]!;
    expect(completion.choices).toHaveLength(1);
    expect(choice.finish_reason).toBe("stop");
    // The message is the whole text of a branch that gave the answer: it ends in that answer.
    expect(choice.message.content!.length).toBeGreaterThan(ttc.answer.length);
    expect(choice.message.content).toContain(ttc.answer);
    const usage = completion.usage as OpenAI.CompletionUsage & { wasted_tokens: number };
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.wasted_tokens).toBeLessThanOrEqual(usage.completion_tokens);
  });

  it("gives the answer alone with ttc.content = answer, and the legacy completions endpoint works too", async () => {
    const chat = await openai.chat.completions.create({
      ...body,
      ttc: { ...body.ttc, content: "answer" },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const answer = (chat as unknown as { ttc: TtcSummary }).ttc.answer;
    expect(chat.choices[0]!.message.content).toBe(answer);
    const completion = await openai.completions.create({
      model: "ttc/majority@arith",
      prompt: "sim puzzle 1",
      n: 4,
      seed: 7,
      ttc: body.ttc,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]!.text).toContain(answer);
  });

  it("streams the consensus as it forms, then the message, the finish reason, the usage and [DONE]", async () => {
    const stream = await openai.chat.completions.create({
      ...(body as OpenAI.ChatCompletionCreateParamsNonStreaming),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: (OpenAI.ChatCompletionChunk & { ttc?: { event?: string; leader?: string } & Partial<TtcSummary> })[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const consensus = chunks.filter((ch) => ch.ttc?.event === "consensus");
    expect(consensus.length).toBeGreaterThan(0);
    const content = chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join("");
    const finish = chunks.find((ch) => ch.choices[0]?.finish_reason);
    expect(finish!.choices[0]!.finish_reason).toBe("stop");
    expect(content).toContain(finish!.ttc!.answer);
    expect(consensus.at(-1)!.ttc!.leader).toBe(finish!.ttc!.answer);
    // Every chunk is one response; the usage comes last, alone, as include_usage asks.
    expect(new Set(chunks.map((ch) => ch.id)).size).toBe(1);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it("works with curl: a JSON answer, and server-sent events ending in [DONE]", () => {
    const curl = (data: object) =>
      spawnSync(
        "curl",
        [
          "-sS",
          "-N",
          "--max-time",
          "30",
          "-H",
          "content-type: application/json",
          "-d",
          JSON.stringify(data),
          `${baseUrl}/chat/completions`,
        ],
        {
          encoding: "utf8",
        },
      );
    const plain = curl(body);
    expect(plain.status).toBe(0);
    expect(JSON.parse(plain.stdout).choices[0].message.role).toBe("assistant");
    const streamed = curl({ ...body, stream: true });
    expect(streamed.status).toBe(0);
    const events = streamed.stdout.split("\n\n").filter((e) => e.startsWith("data: "));
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(events.length).toBeGreaterThan(3);
  });

  const refused: [string, object, number, string | null, RegExp][] = [
    ["a branch budget over the limit", { n: 100_000 }, 400, "n", /max_branches: 100000 is over the limit of 256/],
    ["an unknown body field", { temprature: 0.2 }, 400, "temprature", /unrecognized request argument supplied: temprature/],
    ["tools", { tools: [{ type: "function", function: { name: "f" } }] }, 400, "tools", /tool calls are not supported/],
    ["no messages", { messages: [] }, 400, "messages", /messages: /],
    ["an assistant turn last", { messages: [{ role: "assistant", content: "hi" }] }, 400, "messages", /must be the user's/],
    ["an unknown policy in the model name", { model: "ttc/vibes" }, 400, "ttc.policy", /unknown policy "vibes"/],
    ["a malformed ttc model name", { model: "ttc/majority@" }, 400, "model", /is not ttc\/POLICY\[@VERIFIER\]/],
    ["an unknown verifier", { model: "ttc/majority", ttc: { verifier: "oracle" } }, 400, "ttc.verifier", /unknown verifier "oracle"/],
    ["a bad policy parameter", { model: "ttc/adaptive", ttc: { params: { threshold: 2 } } }, 400, "ttc.params.threshold", /threshold/],
  ];
  for (const [name, over, httpStatus, param, message] of refused) {
    it(`refuses ${name} with ${httpStatus} naming ${param}`, async () => {
      const err = (await openai.chat.completions
        .create({ ...body, ...over } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(httpStatus);
      expect(err.param ?? null).toBe(param);
      expect(err.type).toBe("invalid_request_error");
      expect(err.message).toMatch(message);
    });
  }

  it("answers 400 to a body that is not JSON, 404 to an unknown path, 405 to a wrong method", async () => {
    const notJson = await fetch(`${baseUrl}/chat/completions`, { method: "POST", body: "{nope" });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    const unknown = await fetch(`${baseUrl}/embeddings`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("unknown_url");
    expect((await fetch(`${baseUrl}/chat/completions`)).status).toBe(405);
  });

  it("answers 504 when the query's time runs out before any branch answered", async () => {
    const err = (await openai.chat.completions
      .create({ ...body, max_tokens: 4000, ttc: { ...body.ttc, timeout_seconds: 0.06 } } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status, JSON.stringify(err).slice(0, 600)).toBe(504);
    expect(err.message).toMatch(/deadline passed/);
  });

  it("answers 429 with retry-after past the scheduler's concurrent-query limit", async () => {
    // Three slow queries fill TTC_MAX_CONCURRENT_QUERIES=3; the fourth is refused.
    // One branch after another: each query runs for seconds, whatever lengths the sim draws.
    const slow = { ...body, n: 8, ttc: { mode: "sequential", timeout_seconds: 5 } };
    const post = () =>
      fetch(`${baseUrl}/chat/completions`, { method: "POST", body: JSON.stringify(slow), signal: AbortSignal.timeout(10_000) });
    const running = [post(), post(), post()];
    await new Promise((r) => setTimeout(r, 300));
    const refused = await post();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("rate_limit_error");
    await Promise.allSettled(running.map(async (r) => (await r).text()));
  });

  it("stops the query when the HTTP client goes away, and counts requests by endpoint and status", async () => {
    const before = await scrape(c.metricsUrl("scheduler"));
    const cancelled = 'ttc_scheduler_queries_total{outcome="cancelled"}';
    const cancelledBefore = before.get(cancelled) ?? 0;
    const abort = new AbortController();
    const call = fetch(`${baseUrl}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ ...body, n: 8, ttc: { mode: "sequential" } }),
      signal: abort.signal,
    }).catch(() => null);
    await new Promise((r) => setTimeout(r, 500));
    abort.abort();
    await call;
    let after = before;
    for (let i = 0; i < 50; i++) {
      after = await scrape(c.metricsUrl("scheduler"));
      if ((after.get(cancelled) ?? 0) > cancelledBefore) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after.get(cancelled)).toBeGreaterThan(cancelledBefore);
    expect(after.get('ttc_scheduler_http_requests_total{endpoint="chat",status="200"}')).toBeGreaterThan(0);
    expect(after.get('ttc_scheduler_http_requests_total{endpoint="chat",status="400"}')).toBeGreaterThan(0);
  });
});
